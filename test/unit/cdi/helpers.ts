import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/**
 * CDI spec directories for one test file: `specDir()` makes a fresh directory under one temporary root (removed
 * after the file), `write(dir, name, spec)` writes a spec as JSON (an object) or as the text given (YAML).
 */
export function cdiDirs() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ctnr-cdi-unit-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return {
    root,
    specDir(): string {
      const dir = path.join(root, `d${n++}`);
      mkdirSync(dir);
      return dir;
    },
    write(dir: string, name: string, spec: object | string): string {
      const file = path.join(dir, name);
      writeFileSync(file, typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
      return file;
    },
  };
}

/** A valid spec of `kind` with devices `names`, each an env edit `DEV_<name>=1`. */
export function specOf(kind: string, names: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cdiVersion: '0.6.0',
    kind,
    devices: names.map((name) => ({ name, containerEdits: { env: [`DEV_${name.replace(/\W/g, '_')}=1`] } })),
    ...extra,
  };
}
