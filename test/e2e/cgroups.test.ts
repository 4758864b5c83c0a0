import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServiceYaml } from '../helpers/engine.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable, parseFacts, runBundle } from '../helpers/runc.js';

/** Compose interpolates `$`: a literal script goes in with every `$` doubled. */
const composeEscape = (s: string) => s.replace(/\$/g, '$$$$');
const MiB = 1024 * 1024;
const PARENT = `ctnr-e2e-${process.pid}`;

describe.skipIf(!e2eAvailable('runc'))('cgroups stage under runc (cgroup v1)', () => {
  let rootfs: string;
  let cleanup: () => void;
  beforeAll(() => ({ rootfs, cleanup } = buildBusyboxRootfs()));
  afterAll(() => {
    cleanup?.();
    // cgroup_parent directories stay after runc deletes the container's own cgroup
    for (const ctl of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
      const dir = path.join('/sys/fs/cgroup', ctl, PARENT);
      if (existsSync(dir)) rmdirSync(dir);
    }
  });

  const probe = async (service: Record<string, unknown>, lines: string[]) => {
    const { spec } = await runServiceYaml({ network_mode: 'none', entrypoint: ['/bin/sh', '-c', composeEscape(lines.join('\n'))], ...service }, { env: { rootfs } });
    const r = runBundle(spec, rootfs);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return parseFacts(r.stdout);
  };
  const cg = (key: string, file: string) => `echo ${key}=$(cat /sys/fs/cgroup/${file})`;

  it('memory, cpu and pids limits are the container cgroup\'s own values', async () => {
    const f = await probe(
      { mem_limit: '64m', mem_reservation: '32m', mem_swappiness: 10, cpus: 0.5, cpu_shares: 512, pids_limit: 50 },
      [
        cg('mem', 'memory/memory.limit_in_bytes'), cg('soft', 'memory/memory.soft_limit_in_bytes'), cg('swappiness', 'memory/memory.swappiness'),
        cg('quota', 'cpu/cpu.cfs_quota_us'), cg('period', 'cpu/cpu.cfs_period_us'), cg('shares', 'cpu/cpu.shares'), cg('pids', 'pids/pids.max'),
        'echo cgmount=$(grep " /sys/fs/cgroup/memory " /proc/self/mounts | cut -d" " -f4 | cut -d, -f1)',
      ],
    );
    expect(f).toMatchObject({ mem: String(64 * MiB), soft: String(32 * MiB), swappiness: '10', quota: '50000', period: '100000', shares: '512', pids: '50', cgmount: 'ro' });
  });

  it('deploy.resources.limits land the same way', async () => {
    const f = await probe({ deploy: { resources: { limits: { memory: '48m', pids: 20, cpus: '0.25' } } } }, [cg('mem', 'memory/memory.limit_in_bytes'), cg('pids', 'pids/pids.max'), cg('quota', 'cpu/cpu.cfs_quota_us')]);
    expect(f).toMatchObject({ mem: String(48 * MiB), pids: '20', quota: '25000' });
  });

  it('the pids limit is enforced: forks beyond it fail', async () => {
    // unlimited, this would be the shell, ten sleeps and cat: 12
    const f = await probe({ pids_limit: 5 }, ['(for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done) 2>/dev/null', 'echo running=$(cat /sys/fs/cgroup/pids/pids.current)']);
    expect(Number(f.running)).toBeGreaterThan(1);
    expect(Number(f.running)).toBeLessThanOrEqual(5);
  });

  describe.skipIf(!existsSync('/dev/loop0') || !existsSync('/dev/net/tun'))('devices', () => {
    it('a device appears with its major/minor and the permissions asked (r: open for reading only)', async () => {
      const f = await probe({ devices: ['/dev/loop0:/dev/xloop:r', '/dev/net/tun:/dev/net/tun'] }, [
        'echo xloop=$(stat -c "%F %t:%T" /dev/xloop)',
        'echo tun=$(stat -c "%F %t:%T" /dev/net/tun)',
        'if (exec 3</dev/xloop) 2>/dev/null; then echo read=yes; else echo read=no; fi',
        'if (exec 3>/dev/xloop) 2>/dev/null; then echo write=yes; else echo write=no; fi',
      ]);
      // stat prints major:minor in hex: loop0 is 7:0, tun is 10:200 (a:c8)
      expect(f).toMatchObject({ xloop: 'block special file 7:0', tun: 'character special file a:c8', read: 'yes', write: 'no' });
    });

    it('device_cgroup_rules let a node made inside the container be opened; without the rule it is refused', async () => {
      // runc itself always allows tun (c 10:200); a loop device (b 7:0) is allowed only by a rule
      const lines = ['mknod /dev/xloop b 7 0', 'if (exec 3</dev/xloop) 2>/dev/null; then echo open=yes; else echo open=no; fi'];
      expect((await probe({ device_cgroup_rules: ['b 7:* r'] }, lines)).open).toBe('yes');
      expect((await probe({}, lines)).open).toBe('no');
    });
  });

  it('cgroup: private gives a cgroup namespace (own cgroup is /); the default shows the host path', async () => {
    const line = ['echo memcg=$(grep ":memory:" /proc/self/cgroup | cut -d: -f3)'];
    expect((await probe({ cgroup: 'private' }, line)).memcg).toBe('/');
    expect((await probe({}, line)).memcg).not.toBe('/');
  });

  it('cgroup_parent places the container under that parent', async () => {
    const f = await probe({ cgroup_parent: PARENT, container_name: 'probe' }, ['echo memcg=$(grep ":memory:" /proc/self/cgroup | cut -d: -f3)']);
    expect(f.memcg).toBe(`/${PARENT}/probe`);
  });
});
