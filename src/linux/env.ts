import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { capabilitiesFromMask } from './capabilities.js';
import type { Env } from '../engine/types.js';

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', s390x: 's390x', ppc64: 'ppc64le', riscv64: 'riscv64' };

/** The capabilities this process may hand on (CapBnd of /proc/self/status), or undefined off Linux. */
export function hostBoundingSet(): string[] | undefined {
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? capabilitiesFromMask(m[1]!) : undefined;
  } catch {
    return undefined;
  }
}

export function defaultDataDir(rootless: boolean): string {
  if (!rootless) return '/var/lib/ctnr';
  const xdg = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(xdg, 'ctnr');
}

/** The environment of this machine: rootless unless we are root, this host's ids, arch and bounding set. */
export function createEnv(overrides: Partial<Env> = {}): Env {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const rootless = overrides.rootless ?? uid !== 0;
  const env: Env = {
    rootless,
    dataDir: defaultDataDir(rootless),
    uid,
    gid,
    arch: GOARCH[process.arch] ?? process.arch,
    ...overrides,
  };
  if (env.hostCapabilities === undefined) {
    const caps = hostBoundingSet();
    if (caps) env.hostCapabilities = caps;
  }
  if (env.rootfs === undefined) delete env.rootfs;
  return env;
}
