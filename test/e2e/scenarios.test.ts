import { cpSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { capabilitiesFromMask, e2eAvailable, parseFacts, probeScript, which } from '../helpers/runc.js';
import { REPO } from '../helpers/shared.js';
import { crunNeedsWorkaround, ctnr, withSandbox, type Sandbox } from '../unit/bundle/cli.js';

/**
 * Every folder under test/fixtures/e2e is a compose file a user can read as an example. Each runs through
 * the real CLI (`ctnr run … -- /bin/sh -c PROBE`) and a probe inside the container prints what it sees.
 * Rows name the plugins whose effect they check: a row whose plugins are not in the default plan yet is
 * skipped with a message (they are being written in parallel), and runs as soon as they land.
 */
const FIXTURES = path.join(REPO, 'test/fixtures/e2e');

const PROBE = probeScript([
  'echo env_GREETING=${GREETING-unset}',
  'echo env_EMPTY=${EMPTY-unset}',
  'echo nproc=$(ulimit -u)',
  'echo rootro=$(touch /.probe 2>/dev/null && echo no || echo yes)',
  // one fact per mount point: mount_<path with / as _>=<fstype> <options>
  `awk '{ d = $2; gsub("/", "_", d); print "mount" d "=" $3 " " $4 }' /proc/self/mounts`,
  'echo hosts=$(tr "\\n" "|" < /etc/hosts)',
  'echo resolv=$(tr "\\n" "|" < /etc/resolv.conf)',
  'echo memory_limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null)',
  'echo pids_max=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null)',
  'echo data=$(cat /data/hello.txt 2>/dev/null)',
  'echo data_write=$(touch /data/x 2>/dev/null && echo yes || echo no)',
  'echo cache_write=$( { echo kept > /cache/probe; } 2>/dev/null && echo yes || echo no)',
  'echo scratch_write=$(touch /scratch/x 2>/dev/null && echo yes || echo no)',
]);

type Facts = Record<string, string>;
interface Scenario {
  name: string;
  needs: string[];
  check(f: Facts, ctx: { dataDir: string }): void;
}

const caps = (mask: string | undefined) => capabilitiesFromMask(mask ?? '0');

const SCENARIOS: Scenario[] = [
  {
    name: 'user-groups',
    needs: ['ctnr:user', 'ctnr:cwd', 'ctnr:env'],
    check(f) {
      expect([f.uid, f.gid]).toEqual(['1000', '1000']);
      // video and 4242 from group_add, audio because /etc/group lists app as a member (as docker does)
      expect(f.groups!.split(' ').sort()).toEqual(['1000', '29', '4242', '44']);
      expect(f.cwd).toBe('/tmp');
      expect(f.env_GREETING).toBe('hello world');
      expect(f.env_EMPTY).toBe('');
      // a non-root user keeps the bounding set but has no effective, permitted or ambient caps
      expect(f.CapEff).toBe('0000000000000000');
      expect(f.CapPrm).toBe('0000000000000000');
      expect(f.CapAmb).toBe('0000000000000000');
      expect(caps(f.CapBnd)).toContain('CAP_CHOWN');
    },
  },
  {
    name: 'capabilities',
    needs: ['ctnr:capabilities', 'ctnr:security-opt', 'ctnr:rlimits'],
    check(f) {
      expect(f.uid).toBe('0');
      const eff = caps(f.CapEff);
      expect(eff).toContain('CAP_NET_ADMIN');
      expect(eff).not.toContain('CAP_MKNOD');
      expect(eff).not.toContain('CAP_SYS_ADMIN');
      expect(eff).toHaveLength(14); // docker's 14 defaults + NET_ADMIN − MKNOD
      expect(caps(f.CapPrm)).toEqual(eff);
      expect(caps(f.CapBnd)).toEqual(eff);
      expect(f.CapInh).toBe('0000000000000000');
      expect(f.CapAmb).toBe('0000000000000000');
      expect(f.NoNewPrivs).toBe('1');
      expect(f.nofile).toBe('1234');
      expect(f.nproc).toBe('512');
    },
  },
  {
    name: 'seccomp-default',
    needs: ['ctnr:seccomp'],
    check(f) {
      expect(f.Seccomp).toBe('2');
      expect(f.NoNewPrivs).toBe('0');
    },
  },
  {
    name: 'seccomp-unconfined',
    needs: ['ctnr:seccomp'],
    check(f) {
      expect(f.Seccomp).toBe('0');
    },
  },
  {
    name: 'read-only',
    needs: ['ctnr:read-only', 'ctnr:tmpfs'],
    check(f) {
      expect(f.rootro).toBe('yes');
      expect(f.mount_).toMatch(/^\S+ ro[,\s]/);
      expect(f.mount_scratch).toMatch(/^tmpfs /);
      expect(f.mount_scratch).toMatch(/size=1024k/);
      expect(f.mount_scratch).toMatch(/mode=770/);
      expect(f.scratch_write).toBe('yes');
    },
  },
  {
    name: 'volumes',
    needs: ['ctnr:volumes'],
    check(f, { dataDir }) {
      expect(f.data).toBe('hello from the host');
      expect(f.mount_data).toMatch(/(^|\s|,)ro(,|$)/);
      expect(f.data_write).toBe('no');
      expect(f.cache_write).toBe('yes');
      // the named volume lives under the data dir and outlives the container
      const written = execFileSync('sh', ['-c', `grep -rl '^kept$' ${path.join(dataDir, 'volumes')} || true`], { encoding: 'utf8' }).trim();
      expect(written).not.toBe('');
      expect(statSync(path.dirname(written)).mode & 0o777).toBe(0o755);
    },
  },
  {
    name: 'limits',
    needs: ['ctnr:memory', 'ctnr:pids', 'ctnr:cgroup-mount'],
    check(f) {
      expect(f.memory_limit).toBe(String(64 * 1024 * 1024));
      expect(f.pids_max).toBe('50');
    },
  },
  {
    name: 'network-files',
    needs: ['ctnr:hostname', 'ctnr:etc-files'],
    check(f) {
      expect(f.hostname).toBe('probe-host');
      expect(f.hosts!.split('|').map((l) => l.trim().split(/\s+/).join(' '))).toContain('10.1.2.3 db.internal');
      expect(f.resolv).toMatch(/nameserver 10\.0\.0\.53/);
      expect(f.resolv).toMatch(/search example\.internal/);
    },
  },
];

/** Plugin names in the default plan of the built CLI. */
function plannedPlugins(sb: Sandbox): Set<string> {
  const r = ctnr(['plan', '--json', '-f', path.join(FIXTURES, 'seccomp-default/compose.yaml')], sb);
  if (r.status !== 0) throw new Error(`ctnr plan failed: ${r.stderr}`);
  const plan = JSON.parse(r.stdout) as { stages: Array<{ plugins: Array<{ name: string }> }> };
  return new Set(plan.stages.flatMap((s) => s.plugins.map((p) => p.name)));
}


for (const runtime of ['runc', 'crun'] as const) {
  const available = (runtime === 'runc' || which('crun') !== undefined) && e2eAvailable(runtime);
  describe.skipIf(!available)(`scenarios under ${runtime}`, () => {
    let sb: Sandbox;
    let rootfs: string;
    let planned: Set<string>;
    withSandbox((s, r) => {
      sb = s;
      rootfs = r;
      planned = plannedPlugins(sb);
    });

    it.for(SCENARIOS)('$name', (sc, ctx) => {
      const missing = sc.needs.filter((p) => !planned.has(p));
      if (missing.length > 0) ctx.skip(`scenario ${sc.name} waits for ${missing.join(', ')} in the default preset`);
      // A copy of the fixture folder, so relative binds resolve next to it and a config can sit beside it.
      const dir = path.join(sb.dir, `${runtime}-${sc.name}`);
      cpSync(path.join(FIXTURES, sc.name), dir, { recursive: true });
      const dataDir = path.join(sb.dataDir, runtime);
      const r = ctnr(
        ['run', '-f', path.join(dir, 'compose.yaml'), 'probe', '--rootfs', rootfs, '--data-dir', dataDir, '--runtime', runtime, '--', '/bin/sh', '-c', PROBE],
        sb,
        { crunWorkaround: runtime === 'crun' && crunNeedsWorkaround() },
      );
      expect(r.stderr.replace(/^note: .*\n/gm, '')).toBe('');
      expect(r.status).toBe(0);
      sc.check(parseFacts(r.stdout), { dataDir });
      expect(sb.runtimeState(runtime)).toEqual([]);
    });
  });
}

