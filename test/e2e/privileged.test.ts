import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { hostBoundingSet } from '../../src/linux/env.js';
import { runServiceYaml } from '../helpers/engine.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { capabilitiesFromMask, e2eAvailable, parseFacts, probeScript, runBundle } from '../helpers/runc.js';

/** Compose interpolates `$`: a literal script goes in with every `$` doubled. */
const composeEscape = (s: string) => s.replace(/\$/g, '$$$$');

describe.skipIf(!e2eAvailable('runc'))('privileged stage under runc', () => {
  let rootfs: string;
  let cleanup: () => void;
  beforeAll(() => ({ rootfs, cleanup } = buildBusyboxRootfs()));
  afterAll(() => cleanup?.());

  const host = hostBoundingSet()!;
  const script = probeScript([
    'echo sys=$(grep " /sys sysfs " /proc/self/mounts | cut -d" " -f4 | cut -d, -f1)',
    'echo cgroup_memory=$(grep " /sys/fs/cgroup/memory " /proc/self/mounts | cut -d" " -f4 | cut -d, -f1)',
    'echo timer=$(wc -c < /proc/timer_list)',
    'echo procsys=$(grep " /proc/sys " /proc/self/mounts | wc -l)',
    'echo loop0=$(stat -c "%F %t:%T" /dev/loop0 2>/dev/null)',
    // rewrite a sysfs value with what it already holds: a write the kernel checks, without changing the host
    'v=$(cat /sys/kernel/mm/ksm/run 2>/dev/null); if (echo "$v" > /sys/kernel/mm/ksm/run) 2>/dev/null; then echo syswrite=yes; else echo syswrite=no; fi',
  ]);
  const probe = async (service: Record<string, unknown>) => {
    // hostCapabilities as createEnv sets it: generated on the host that runs the bundle
    const { spec } = await runServiceYaml({ network_mode: 'none', entrypoint: ['/bin/sh', '-c', composeEscape(script)], ...service }, { env: { rootfs, hostCapabilities: host } });
    const r = runBundle(spec, rootfs);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return parseFacts(r.stdout);
  };

  it('privileged: every capability the host can give, writable /sys and cgroupfs, nothing masked, host devices, no seccomp', async () => {
    const f = await probe({ privileged: true });
    expect(capabilitiesFromMask(f.CapEff!)).toEqual(host);
    expect(capabilitiesFromMask(f.CapBnd!)).toEqual(host);
    expect(f.sys).toBe('rw');
    expect(f.cgroup_memory).toBe('rw');
    expect(Number(f.timer)).toBeGreaterThan(0);
    expect(f.procsys).toBe('0');
    if (existsSync('/dev/loop0')) expect(f.loop0).toBe('block special file 7:0');
    expect(f.Seccomp).toBe('0');
    if (existsSync('/sys/kernel/mm/ksm/run')) expect(f.syswrite).toBe('yes');
  });

  it('the same probe without privileged sees docker defaults (so the probe can tell the difference)', async () => {
    const f = await probe({});
    expect(capabilitiesFromMask(f.CapEff!)).toHaveLength(14);
    expect(f.sys).toBe('ro');
    expect(f.cgroup_memory).toBe('ro');
    expect(f.timer).toBe('0');
    expect(f.procsys).toBe('1');
    expect(f.loop0).toBe('');
    expect(f.Seccomp).toBe('2');
    expect(f.syswrite).toBe('no');
  });
});
