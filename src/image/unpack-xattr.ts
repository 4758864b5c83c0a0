import { createRequire } from 'node:module';
import { displayName } from './tar.js';

/**
 * Extended attributes (PAX `SCHILY.xattr.*`). Node has no xattr API; `@napi-rs/xattr` (prebuilt, no install
 * scripts) calls lsetxattr(2) — it never follows a symlink — with binary values: a `security.capability`
 * arrives intact, where spawning `setfattr` would cost a process per file and a package the machine may lack.
 * When the module cannot load, or the file system refuses (no user xattrs on tmpfs, `trusted.*` in a user
 * namespace), the attribute is skipped and the caller warns, as containerd does for ENOTSUP.
 */

interface XattrModule {
  setAttributeSync(path: string, name: string, value: Uint8Array): void;
}

let loaded: XattrModule | Error | undefined;

function xattrModule(): XattrModule | Error {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('@napi-rs/xattr') as XattrModule;
    } catch (err) {
      loaded = new Error(`the @napi-rs/xattr module did not load (${(err as Error).message.split('\n')[0]})`);
    }
  }
  return loaded;
}

/** Set each attribute on `hostPath` (byte string); returns the ones that could not be set, with the reason. */
export function setXattrs(hostPath: string, xattrs: ReadonlyMap<string, Buffer>): Array<{ name: string; reason: string }> {
  const failed: Array<{ name: string; reason: string }> = [];
  const mod = xattrModule();
  const text = displayName(hostPath);
  // The module takes a JS string: a path that is not UTF-8 cannot be named to it.
  const nameable = Buffer.from(text, 'utf8').equals(Buffer.from(hostPath, 'latin1'));
  for (const [name, value] of xattrs) {
    if (mod instanceof Error) failed.push({ name, reason: mod.message });
    else if (!nameable) failed.push({ name, reason: 'the file name is not UTF-8' });
    else {
      try {
        mod.setAttributeSync(text, name, value);
      } catch (err) {
        failed.push({ name, reason: (err as Error).message });
      }
    }
  }
  return failed;
}
