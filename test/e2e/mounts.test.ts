import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../src/engine/engine.js';
import { planMountSources, writeBundleFiles } from '../../src/bundle/writer.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable, parseFacts, runBundle } from '../helpers/runc.js';
import { runCompose } from '../unit/mounts/compose.js';

describe.skipIf(!e2eAvailable('runc'))('mounts stage under runc', () => {
  let rootfs: string;
  let cleanup: () => void;
  let tmp: string;
  beforeAll(() => {
    ({ rootfs, cleanup } = buildBusyboxRootfs());
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-e2e-mounts-'));
  });
  afterAll(() => {
    cleanup?.();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Generate, lay out what the bundle writer would (bundle directories, named-volume dirs), run, parse. */
  const probe = async (service: Record<string, unknown>, script: string[], top: Record<string, unknown> = {}) => {
    // network_mode none: these probes are about mounts; container networking (a CNI hook) is tested elsewhere
    const result: Result = await runCompose({ network_mode: 'none', entrypoint: ['/bin/sh', '-c', script.join('\n').replace(/\$/g, '$$$$')], ...service }, top, { env: { rootfs, dataDir: path.join(tmp, 'data') }, dir: tmp });
    const bundle = mkdtempSync(path.join(tmp, 'bundle-'));
    // what the bundle writer does: bundle files, then the named-volume directories its plan asks for
    writeBundleFiles(bundle, result.files);
    const plan = planMountSources(result.spec, bundle, path.join(tmp, 'data'), new Set(result.files.map((f) => f.path)));
    for (const dir of plan.volumes) mkdirSync(dir, { recursive: true, mode: 0o755 });
    expect(plan.bundleDirs).toEqual([]);
    const r = runBundle(result.spec, rootfs, { bundleDir: bundle });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return { facts: parseFacts(r.stdout), bundle, result };
  };

  const mountLine = (dest: string) => `echo "mnt_${dest}=$(grep " ${dest} " /proc/self/mounts | tail -n1)"`;
  const canWrite = (key: string, file: string) => `if (echo x > ${file}) 2>/dev/null; then echo ${key}=yes; else echo ${key}=no; fi`;

  it('read_only: the root refuses a write, /tmp tmpfs and a rw volume still take one', async () => {
    const { facts } = await probe({ read_only: true, tmpfs: ['/tmp'], volumes: [{ type: 'tmpfs', target: '/scratch' }] }, [
      canWrite('root', '/probe'), canWrite('tmp', '/tmp/probe'), canWrite('scratch', '/scratch/probe'), canWrite('proc', '/proc/self/comm'),
    ]);
    expect(facts).toMatchObject({ root: 'no', tmp: 'yes', scratch: 'yes', proc: 'yes' });
  });

  it('tmpfs: a real tmpfs with the asked size, mode and docker option defaults', async () => {
    // mode is checked on a path the rootfs lacks: over an existing directory runc 1.1 chmods the tmpfs to
    // that directory's mode, whatever mode= said
    const { facts } = await probe({ tmpfs: ['/run:size=64m', '/fresh:mode=1770'], volumes: [{ type: 'tmpfs', target: '/cache', tmpfs: { size: '2m' } }], shm_size: '32m' }, [
      mountLine('/run'), mountLine('/cache'), mountLine('/dev/shm'), 'echo run_mode=$(stat -c %a /fresh)',
    ]);
    const run = facts['mnt_/run']!.split(' ');
    expect(run[2]).toBe('tmpfs');
    expect(run[3]!.split(',')).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec', 'size=65536k']));
    expect(facts.run_mode).toBe('1770');
    expect(facts['mnt_/cache']!.split(' ')[2]).toBe('tmpfs');
    expect(facts['mnt_/cache']).toContain('size=2048k');
    expect(facts['mnt_/dev/shm']).toContain('size=32768k');
  });

  it('binds: a ro bind cannot be written, a rw bind writes through to the host', async () => {
    const ro = path.join(tmp, 'ro-src');
    const rw = path.join(tmp, 'rw-src');
    mkdirSync(ro);
    mkdirSync(rw);
    writeFileSync(path.join(ro, 'hello'), 'from host\n');
    const { facts } = await probe({ volumes: [`${ro}:/ro:ro`, { type: 'bind', source: rw, target: '/rw' }] }, [
      'echo ro_read=$(cat /ro/hello)', canWrite('ro_write', '/ro/new'), 'echo written > /rw/out && echo rw_write=yes', mountLine('/ro'),
    ]);
    expect(facts).toMatchObject({ ro_read: 'from host', ro_write: 'no', rw_write: 'yes' });
    expect(facts['mnt_/ro']!.split(' ')[3]!.split(',')).toContain('ro');
    expect(readFileSync(path.join(rw, 'out'), 'utf8')).toBe('written\n');
  });

  it('named volumes: two services of a project share one directory under the data dir', async () => {
    const top = { name: 'e2e', volumes: { shared: {} } };
    await probe({ volumes: ['shared:/data'] }, ['echo hello-from-a > /data/msg'], top);
    const { facts } = await probe({ volumes: [{ type: 'volume', source: 'shared', target: '/other', read_only: true }] }, ['echo msg=$(cat /other/msg)', canWrite('w', '/other/x')], top);
    expect(facts).toMatchObject({ msg: 'hello-from-a', w: 'no' });
    expect(existsSync(path.join(tmp, 'data', 'volumes', 'e2e_shared', 'msg'))).toBe(true);
  });

  it('anonymous volumes: a directory inside the bundle, through a bundle-relative source', async () => {
    const { facts, bundle, result } = await probe({ volumes: ['/var/cache/app'] }, ['echo anon > /var/cache/app/f && echo ok=yes']);
    expect(facts.ok).toBe('yes');
    const dir = result.files.find((f) => f.plugin === 'ctnr:volumes')!;
    expect(dir.kind).toBe('directory');
    expect(readFileSync(path.join(bundle, dir.path, 'f'), 'utf8')).toBe('anon\n');
  });

  it('masked paths read empty and readonly paths are read-only mounts; systempaths=unconfined lifts both', async () => {
    // /proc/kcore and /proc/sysrq-trigger do not exist on this VM's kernel; these masked files do.
    const script = ['echo timer=$(wc -c < /proc/timer_list)', 'echo interrupts=$(wc -c < /proc/interrupts)', 'echo acpi=$(ls /proc/acpi | wc -l)', mountLine('/proc/sys'), mountLine('/proc/timer_list')];
    const confined = (await probe({}, script)).facts;
    expect(confined).toMatchObject({ timer: '0', interrupts: '0', acpi: '0' });
    expect(confined['mnt_/proc/sys']!.split(' ')[3]!.split(',')).toContain('ro');
    const unconfined = (await probe({ security_opt: ['systempaths=unconfined'] }, script)).facts;
    expect(Number(unconfined.timer)).toBeGreaterThan(0);
    expect(Number(unconfined.interrupts)).toBeGreaterThan(0);
    expect(unconfined['mnt_/proc/sys']).toBe('');
    expect(unconfined['mnt_/proc/timer_list']).toBe('');
  });
});
