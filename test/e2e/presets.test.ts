import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServiceYaml } from '../helpers/engine.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { capabilitiesFromMask, e2eAvailable, parseFacts, probeScript, runBundle } from '../helpers/runc.js';
import { defaultPreset } from '../../presets/default.js';
import { podmanPreset } from '../../presets/engines/podman.js';
import { restrictedPreset } from '../../presets/restricted.js';
import type { Preset } from '../../src/engine/types.js';

/** Presets checked from inside a container: what the preset wrote is what the process gets. */
describe.skipIf(!e2eAvailable('runc'))('presets under runc', () => {
  let rootfs: string;
  let cleanup: () => void;
  beforeAll(() => ({ rootfs, cleanup } = buildBusyboxRootfs()));
  afterAll(() => cleanup?.());

  const probe = async (presets: Preset[], service: Record<string, unknown> = {}, extra: string[] = []) => {
    // `$$` is compose's escape for `$` (the loader interpolates the fragment like a compose file).
    const script = probeScript(extra).replaceAll('$', '$$$$');
    const { spec } = await runServiceYaml({ entrypoint: ['/bin/sh', '-c', script], ...service }, { env: { rootfs }, presets });
    const r = runBundle(spec, rootfs);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return parseFacts(r.stdout);
  };

  it('restricted fix: true — the process has only NET_BIND_SERVICE, no_new_privs and a seccomp filter', async () => {
    const f = await probe([defaultPreset(), restrictedPreset({ fix: true, mode: 'audit' })], { user: '1000:1000' });
    expect(f.uid).toBe('1000');
    expect(capabilitiesFromMask(f.CapBnd!)).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(f.NoNewPrivs).toBe('1');
    expect(f.Seccomp).toBe('2');
  });

  it('restricted fix: true with readOnlyRoot — the root filesystem refuses a write', async () => {
    const f = await probe([defaultPreset(), restrictedPreset({ fix: true, readOnlyRoot: true, mode: 'audit' })], { user: '1000:1000' }, [
      'if touch /probe-write 2>/dev/null; then echo rootfs=rw; else echo rootfs=ro; fi',
    ]);
    expect(f.rootfs).toBe('ro');
  });

  it('podman — root gets podman\'s 11 capabilities and the pids limit is visible in its cgroup', async () => {
    const f = await probe([podmanPreset()], {}, ['echo pids_max=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max 2>/dev/null)']);
    expect(capabilitiesFromMask(f.CapEff!).sort()).toEqual([
      'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
    ]);
    expect(f.pids_max).toBe('2048');
  });
});
