import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootlessPlugin, readSubordinateRanges } from '../../plugins/rootless/rootless.js';
import { writeBundleFiles } from '../../src/bundle/writer.js';
import type { Result } from '../../src/engine/engine.js';
import { runServiceYaml } from '../helpers/engine.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { capabilitiesFromMask, e2eAvailable, parseFacts, which } from '../helpers/runc.js';
import { hostBoundingSet } from '../../src/linux/env.js';
import { IN_CI, REPO } from '../helpers/shared.js';

/** Compose interpolates `$`: a literal script goes in with every `$` doubled. */
const composeEscape = (s: string) => s.replace(/\$/g, '$$$$');
const USER = 'ctnr-e2e-rootless';

const ready = e2eAvailable('runc') && (() => {
  const missing = ['useradd', 'userdel', 'setpriv', 'newuidmap'].filter((c) => !which(c));
  if (missing.length > 0) console.warn(`skipping rootless e2e: needs ${missing.join(', ')}`);
  return missing.length === 0;
})();

describe.skipIf(!ready)('rootless stage: runc run by an unprivileged user', () => {
  let uid: number;
  let gid: number;
  let tmp: string;
  let rootfs: string;
  let cleanup: () => void;
  let counter = 0;

  beforeAll(() => {
    spawnSync('userdel', [USER], { stdio: 'ignore' });
    // useradd gives the new user subordinate ranges in /etc/subuid and /etc/subgid (SUB_UID_COUNT in login.defs)
    const add = spawnSync('useradd', ['--no-create-home', '--shell', '/bin/sh', USER], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`useradd failed: ${add.stderr}`);
    uid = Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout.trim());
    gid = Number(spawnSync('id', ['-g', USER], { encoding: 'utf8' }).stdout.trim());
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-e2e-rootless-'));
    chmodSync(tmp, 0o755);
    ({ rootfs, cleanup } = buildBusyboxRootfs(path.join(tmp, 'rootfs')));
    // a rootless user's rootfs is its own (unpacked by it), so runc can create mount points in it
    spawnSync('chown', ['-R', `${uid}:${gid}`, rootfs]);
  });
  afterAll(() => {
    cleanup?.();
    rmSync(tmp, { recursive: true, force: true });
    rmSync(`/tmp/runc-${uid}`, { recursive: true, force: true });
    spawnSync('userdel', [USER], { stdio: 'ignore' });
  });

  /** Generate as `ctnr --rootless` would for this user, write the bundle, run it as the user. */
  const run = async (service: Record<string, unknown>, script: string[], subids: 'auto' | 'never', env: Record<string, unknown> = {}) => {
    const result: Result = await runServiceYaml(
      { network_mode: 'none', entrypoint: ['/bin/sh', '-c', composeEscape(script.join('\n'))], ...service },
      { env: { rootless: true, uid, gid, rootfs, dataDir: path.join(tmp, 'data'), ...env }, plugins: [{ ...rootlessPlugin({ subids }), replace: true }] },
    );
    const bundle = path.join(tmp, `bundle-${++counter}`);
    mkdirSync(bundle, { mode: 0o755 });
    writeBundleFiles(bundle, result.files);
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ ...result.spec, root: { ...result.spec.root, path: rootfs } }), { mode: 0o644 });
    const id = `ctnr-rootless-${process.pid}-${counter}`;
    const runc = ['runc', '--root', `/tmp/runc-${uid}`];
    const r = spawnSync('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--init-groups', ...runc, 'run', '--bundle', bundle, id], {
      encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'], cwd: tmp, env: { PATH: process.env.PATH, HOME: tmp },
    });
    spawnSync('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--init-groups', ...runc, 'delete', '-f', id], { stdio: 'ignore' });
    // runc 1.1 warns when it cannot read OOM counts of a cgroup it never had (rootless, cgroup v1): not an error
    const stderr = r.stderr.split('\n').filter((l) => l !== '' && !/level=warning msg="unable to get oom kill count"/.test(l)).join('\n');
    return { status: r.status, stderr, facts: parseFacts(r.stdout), result };
  };

  const script = [
    'echo uid=$(id -u)',
    'echo uid_map=$(cat /proc/self/uid_map | tr -s " " | tr "\\n" ";")',
    'echo gid_map=$(cat /proc/self/gid_map | tr -s " " | tr "\\n" ";")',
    'echo netns=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\\n" " ")',
    'echo out > /shared/written-by-$(id -u)',
  ];

  it('single mapping: uid 0 inside is the user outside', async () => {
    const shared = path.join(tmp, 'shared-single');
    mkdirSync(shared);
    chownSync(shared, uid, gid);
    const r = await run({ volumes: [`${shared}:/shared`], mem_limit: '64m' }, script, 'never');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.facts.uid).toBe('0');
    expect(r.facts.uid_map).toBe(` 0 ${uid} 1;`);
    expect(r.facts.gid_map).toBe(` 0 ${gid} 1;`);
    // a private network namespace: only lo
    expect(r.facts.netns!.trim()).toBe('lo');
    expect(statSync(path.join(shared, 'written-by-0')).uid).toBe(uid);
    // the memory limit could not be honoured: dropped with a warning, and the container still ran
    expect(r.result.diagnostics.some((d) => d.path === 'services.svc.mem_limit' && /rootless/.test(d.message))).toBe(true);
  });

  it('subordinate ranges: a non-root container user maps into the user\'s /etc/subuid range', async () => {
    const [range] = readSubordinateRanges(readFileSync('/etc/subuid', 'utf8'), [USER]);
    const [grange] = readSubordinateRanges(readFileSync('/etc/subgid', 'utf8'), [USER]);
    if (!range || !grange) throw new Error(`useradd gave ${USER} no subordinate ranges`);
    const shared = path.join(tmp, 'shared-subids');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const r = await run({ user: 'app', volumes: [`${shared}:/shared`] }, script, 'auto');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.facts.uid).toBe('1000');
    expect(r.facts.uid_map).toBe(` 0 ${uid} 1; 1 ${range.start} ${range.count};`);
    expect(r.facts.gid_map).toBe(` 0 ${gid} 1; 1 ${grange.start} ${grange.count};`);
    // container uid 1000 is host id range.start + 999
    expect(statSync(path.join(shared, 'written-by-1000')).uid).toBe(range.start + 999);
  });
  it('privileged rootless: every capability inside the user namespace, /sys writable, host devices bound in', async () => {
    const host = hostBoundingSet()!;
    const r = await run({ privileged: true }, [
      'echo capeff=$(grep CapEff /proc/self/status | cut -f2)',
      'echo sys=$(grep " /sys " /proc/self/mounts | head -n1 | cut -d" " -f4 | cut -d, -f1)',
      'echo loop0=$(stat -c "%F %t:%T" /dev/loop0 2>/dev/null)',
    ], 'never', { hostCapabilities: host });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(capabilitiesFromMask(r.facts.capeff!)).toEqual(host);
    expect(r.facts.sys).toBe('rw');
    // a host device runc's defaults do not create: it came from privileged's host device list (bind-mounted)
    if (existsSync('/dev/loop0')) expect(r.facts.loop0).toBe('block special file 7:0');
  });

  const CLI = path.join(REPO, 'bin/ctnr.cjs');
  const built = existsSync(path.join(REPO, 'dist/cli.cjs'));
  if (!built && IN_CI) throw new Error('dist/cli.cjs missing in CI (npm test builds it)');

  it.skipIf(!built)('the real CLI run by the user (rootless by default when not root) writes a bundle that user runs', () => {
    const proj = path.join(tmp, 'cli-proj');
    mkdirSync(proj);
    const compose = [
      'services:',
      '  svc:',
      '    network_mode: none',
      '    entrypoint: ["/bin/sh", "-c", "echo uid=$$(id -u); echo uid_map=$$(head -n1 /proc/self/uid_map | tr -s \' \')"]',
      '',
    ].join('\n');
    writeFileSync(path.join(proj, 'compose.yaml'), compose);
    chownSync(proj, uid, gid);
    const asUser = (argv: string[]) => spawnSync('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--init-groups', ...argv], {
      encoding: 'utf8', timeout: 60_000, cwd: proj, env: { PATH: process.env.PATH, HOME: proj },
    });
    const bundle = path.join(proj, 'bundle');
    const made = asUser([process.execPath, CLI, 'bundle', 'create', 'svc', bundle, '--rootfs', rootfs, '--data-dir', path.join(proj, 'data')]);
    expect(made.stderr.replace(/^(note|warning): .*\n/gm, '')).toBe('');
    expect(made.status).toBe(0);
    const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    expect(spec.linux.uidMappings[0]).toEqual({ containerID: 0, hostID: uid, size: 1 });
    const id = `ctnr-rootless-cli-${process.pid}`;
    const runc = ['runc', '--root', `/tmp/runc-${uid}`];
    const r = asUser([...runc, 'run', '--bundle', bundle, id]);
    asUser([...runc, 'delete', '-f', id]);
    expect(r.stderr.split('\n').filter((l) => l !== '' && !/unable to get oom kill count/.test(l))).toEqual([]);
    expect(r.status).toBe(0);
    expect(parseFacts(r.stdout)).toMatchObject({ uid: '0', uid_map: ` 0 ${uid} 1` });
  });
});
