import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServiceYaml } from '../helpers/engine.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable, parseFacts, runBundle } from '../helpers/runc.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/seccomp/files');

/**
 * Seccomp under runc. `unshare -U` (a new user namespace) needs no capability, so when it fails for root in the
 * container the filter is what refused it; with the filter off or CAP_SYS_ADMIN in the bounding set it works.
 */
describe.skipIf(!e2eAvailable('runc'))('seccomp stage under runc', () => {
  let rootfs: string;
  let cleanup: () => void;
  beforeAll(() => ({ rootfs, cleanup } = buildBusyboxRootfs()));
  afterAll(() => cleanup?.());

  const probe = async (service: Record<string, unknown>) => {
    const script = [
      'echo "Seccomp=$(grep "^Seccomp:" /proc/self/status | cut -f2)"',
      'unshare -U true 2>/dev/null && echo userns=ok || echo userns=denied',
      'unshare -m true 2>/dev/null && echo mountns=ok || echo mountns=denied',
      'echo "mkdir=$(mkdir /tmp/probe-dir 2>&1 && rmdir /tmp/probe-dir && echo ok)"',
    ];
    const { spec } = await runServiceYaml({ entrypoint: ['/bin/sh', '-c', script.join('\n')], ...service }, { env: { rootfs }, dir: FIXTURES });
    const r = runBundle(spec, rootfs);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return parseFacts(r.stdout);
  };

  it.each([
    // service, Seccomp mode, unshare -U, unshare -m
    [{}, '2', 'denied', 'denied'],
    [{ security_opt: ['seccomp=unconfined'] }, '0', 'ok', 'denied'], // -m still needs CAP_SYS_ADMIN
    [{ cap_add: ['SYS_ADMIN'] }, '2', 'ok', 'ok'],
  ])('%j → Seccomp %s, unshare -U %s, unshare -m %s', async (service, mode, userns, mountns) => {
    const f = await probe(service);
    expect(f.Seccomp).toBe(mode);
    expect(f.userns).toBe(userns);
    expect(f.mountns).toBe(mountns);
    expect(f.mkdir).toBe('ok');
  });

  it('seccomp=PATH loads a docker-format profile (converted for amd64) relative to the compose dir', async () => {
    const f = await probe({ security_opt: ['seccomp=./deny-mkdir.json'] });
    expect(f.Seccomp).toBe('2');
    expect(f.mkdir).toMatch(/Permission denied/); // errno 13 from the profile, not EPERM
    expect(f.userns).toBe('ok'); // defaultAction ALLOW
  });
});
