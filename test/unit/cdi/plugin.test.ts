import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import { cdiPlugin } from '../../../plugins/cgroups/cdi.js';
import type { Env } from '../../../src/engine/types.js';
import { runServiceYaml, testPluginYaml } from '../../helpers/engine.js';
import { baseSpec } from '../../helpers/plugin-table.js';
import type { Spec } from '../../../src/spec/types.js';
import { cdiDirs, specOf } from './helpers.js';

const dirs = cdiDirs();
const baseRules = createBaseSpec().linux!.resources!.devices!;
const NULL = { type: 'c', major: 1, minor: 3 };

/** Run ctnr:cdi alone on a compose fragment with `specDirs` as the CDI spec directories. */
function cdi(service: Record<string, unknown>, specDirs: string[], options: { env?: Partial<Env>; spec?: Spec } = {}) {
  return testPluginYaml(cdiPlugin(), service, { env: { cdiSpecDirs: specDirs, ...options.env }, ...(options.spec ? { spec: options.spec } : {}) });
}

/** A spec directory holding `files` (name → spec object or YAML text). */
function specDir(files: Record<string, object | string>): string {
  const d = dirs.specDir();
  for (const [name, spec] of Object.entries(files)) dirs.write(d, name, spec);
  return d;
}

const VENDOR_YAML = `cdiVersion: 0.7.0
kind: vendor.com/device
containerEdits:
  env: [VENDOR=common]
  mounts:
    - {hostPath: /usr/lib/vendor, containerPath: /usr/lib/vendor, options: [ro, nosuid, nodev, bind]}
devices:
  - name: dev0
    containerEdits:
      env: [VENDOR_DEVICE=dev0]
      deviceNodes:
        - {path: /dev/cdi-null, hostPath: /dev/null, permissions: rw}
  - name: dev1
    containerEdits:
      env: [VENDOR_DEVICE=dev1]
      hooks:
        - {hookName: createContainer, path: /usr/bin/vendor-hook, args: [vendor-hook, dev1], env: [A=1], timeout: 5}
      additionalGids: [0, 44, 44]
`;

describe.skipIf(!existsSync('/dev/null'))('ctnr:cdi', () => {
  it('no CDI device asked for: no ops, no spec directory read', async () => {
    const r = await cdi({ devices: ['/dev/null'] }, ['/nonexistent']);
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual([]);
  });

  it("applies a device's edits after its spec's common edits, each op naming the spec file and key", async () => {
    const d = specDir({ 'vendor.yaml': VENDOR_YAML });
    const file = path.join(d, 'vendor.yaml');
    const r = await cdi({ devices: ['vendor.com/device=dev0'] }, [d]);
    expect(r.errors).toEqual([]);
    const common = `${file} containerEdits (common edits of vendor.com/device)`;
    const own = `${file} devices[0].containerEdits (vendor.com/device=dev0)`;
    expect(r.ops).toEqual([
      { op: 'add', path: '/process/env/-', value: 'VENDOR=common', source: common },
      { op: 'add', path: '/mounts/-', value: { destination: '/usr/lib/vendor', type: 'bind', source: '/usr/lib/vendor', options: ['ro', 'nosuid', 'nodev', 'bind'] }, source: common },
      { op: 'add', path: '/process/env/-', value: 'VENDOR_DEVICE=dev0', source: own },
      { op: 'add', path: '/linux/devices', value: [], source: own },
      { op: 'add', path: '/linux/devices/-', value: { path: '/dev/cdi-null', ...NULL, fileMode: expect.any(Number) }, source: own },
      { op: 'add', path: '/linux/resources/devices/-', value: { allow: true, ...NULL, access: 'rw' }, source: own },
    ]);
    expect(r.spec!.linux!.resources!.devices).toEqual([...baseRules, { allow: true, ...NULL, access: 'rw' }]);
  });

  it('JSON and YAML spec files give the same spec', async () => {
    const yaml = specDir({ 'v.yaml': VENDOR_YAML });
    const { parse } = await import('yaml');
    const json = specDir({ 'v.json': parse(VENDOR_YAML) });
    const a = await cdi({ devices: ['vendor.com/device=dev0', 'vendor.com/device=dev1'] }, [yaml]);
    const b = await cdi({ devices: ['vendor.com/device=dev0', 'vendor.com/device=dev1'] }, [json]);
    expect(a.errors).toEqual([]);
    expect(b.spec).toEqual(a.spec);
  });

  it("two devices of one spec: common edits once, then each device's in the order asked; env replaced by name", async () => {
    const d = specDir({ 'vendor.yaml': VENDOR_YAML });
    const r = await cdi({ devices: ['vendor.com/device=dev1', 'vendor.com/device=dev0'], environment: { VENDOR: 'mine' } }, [d], {
      spec: baseSpec((s) => s.process!.env!.push('VENDOR=mine')),
    });
    expect(r.errors).toEqual([]);
    // VENDOR replaced in place; VENDOR_DEVICE first from dev1, then replaced by dev0's.
    expect(r.spec!.process!.env).toEqual([expect.stringMatching(/^PATH=/), 'VENDOR=common', 'VENDOR_DEVICE=dev0']);
    expect(r.ops.filter((o) => o.path.startsWith('/process/env'))).toEqual([
      expect.objectContaining({ op: 'replace', path: '/process/env/1', value: 'VENDOR=common' }),
      expect.objectContaining({ op: 'add', path: '/process/env/-', value: 'VENDOR_DEVICE=dev1' }),
      expect.objectContaining({ op: 'replace', path: '/process/env/2', value: 'VENDOR_DEVICE=dev0' }),
    ]);
    expect(r.spec!.hooks).toEqual({ createContainer: [{ path: '/usr/bin/vendor-hook', args: ['vendor-hook', 'dev1'], env: ['A=1'], timeout: 5 }] });
    // additionalGids: 0 skipped, 44 once.
    expect(r.spec!.process!.user.additionalGids).toEqual([44]);
  });

  it('a device named twice (devices: and deploy) counts once', async () => {
    const d = specDir({ 'vendor.yaml': VENDOR_YAML });
    const r = await cdi({ devices: ['vendor.com/device=dev0'], deploy: { resources: { reservations: { devices: [{ driver: 'cdi', device_ids: ['vendor.com/device=dev0'] }] } } } }, [d]);
    expect(r.errors).toEqual([]);
    expect(r.spec!.linux!.devices).toHaveLength(1);
    expect(r.spec!.process!.env!.filter((e) => e.startsWith('VENDOR'))).toEqual(['VENDOR=common', 'VENDOR_DEVICE=dev0']);
  });

  it('a later spec directory overrides a device of an earlier one', async () => {
    const low = specDir({ 'v.json': specOf('v.com/c', ['a', 'b']) });
    const high = specDir({ 'v.yaml': { cdiVersion: '0.3.0', kind: 'v.com/c', devices: [{ name: 'b', containerEdits: { env: ['FROM=high'] } }] } });
    const r = await cdi({ devices: ['v.com/c=a', 'v.com/c=b'] }, [low, high]);
    expect(r.errors).toEqual([]);
    expect(r.spec!.process!.env!.slice(1)).toEqual(['DEV_a=1', 'FROM=high']);
    expect(r.ops[1]).toMatchObject({ source: `${path.join(high, 'v.yaml')} devices[0].containerEdits (v.com/c=b)` });
  });

  describe('device nodes', () => {
    const nodes = (deviceNodes: object[], version = '0.5.0') => specDir({ 'n.json': { cdiVersion: version, kind: 'v.com/n', devices: [{ name: 'x', containerEdits: { deviceNodes } }] } });

    it.each([
      { what: 'no permissions: rwm', node: { path: '/dev/null' }, rule: 'rwm' },
      { what: 'permissions deduplicated in rwm order', node: { path: '/dev/null', permissions: 'mwrw' }, rule: 'rwm' },
      { what: '"none": a rule without access', node: { path: '/dev/null', permissions: 'none' }, rule: '' },
    ])('$what', async ({ node, rule }) => {
      const r = await cdi({ devices: ['v.com/n=x'] }, [nodes([node])]);
      expect(r.errors).toEqual([]);
      expect(r.spec!.linux!.devices).toEqual([{ path: '/dev/null', ...NULL, fileMode: expect.any(Number) }]);
      expect(r.spec!.linux!.resources!.devices!.at(-1)).toEqual({ allow: true, ...NULL, access: rule });
    });

    it('a node that names type and major need not exist on this host (CDI: minimally specified)', async () => {
      const r = await cdi({ devices: ['v.com/n=x'] }, [nodes([{ path: '/dev/vendorctl', type: 'c', major: 240, minor: 7, fileMode: 0o600, uid: 5, gid: 6 }])]);
      expect(r.errors).toEqual([]);
      expect(r.spec!.linux!.devices).toEqual([{ path: '/dev/vendorctl', type: 'c', major: 240, minor: 7, fileMode: 0o600, uid: 5, gid: 6 }]);
    });

    it("uid and gid default to the process user's when not root", async () => {
      const spec = baseSpec((s) => { s.process!.user = { uid: 1000, gid: 1001 }; });
      const r = await cdi({ devices: ['v.com/n=x'] }, [nodes([{ path: '/dev/null' }])], { spec });
      expect(r.spec!.linux!.devices![0]).toMatchObject({ uid: 1000, gid: 1001 });
    });

    it('a FIFO gets no major/minor and no cgroup rule', async () => {
      const fifo = path.join(dirs.specDir(), 'fifo');
      execFileSync('mkfifo', [fifo]);
      const r = await cdi({ devices: ['v.com/n=x'] }, [nodes([{ path: '/dev/fifo', hostPath: fifo }])]);
      expect(r.errors).toEqual([]);
      expect(r.spec!.linux!.devices).toEqual([{ path: '/dev/fifo', type: 'p', fileMode: expect.any(Number) }]);
      expect(r.spec!.linux!.resources!.devices).toEqual(baseRules);
    });

    it('replaces a device already at that path (from devices: or privileged)', async () => {
      const spec = baseSpec((s) => { s.linux!.devices = [{ path: '/dev/null', type: 'c', major: 9, minor: 9 }]; });
      const r = await cdi({ devices: ['v.com/n=x'] }, [nodes([{ path: '/dev/null' }])], { spec });
      expect(r.ops[0]).toMatchObject({ op: 'replace', path: '/linux/devices/0' });
      expect(r.spec!.linux!.devices).toEqual([{ path: '/dev/null', ...NULL, fileMode: expect.any(Number) }]);
    });

    it('privileged (every device allowed): the node, no rule', async () => {
      const spec = baseSpec((s) => { s.linux!.resources!.devices = [{ allow: true, access: 'rwm' }]; });
      const r = await cdi({ devices: ['v.com/n=x'] }, [nodes([{ path: '/dev/null' }])], { spec });
      expect(r.spec!.linux!.resources!.devices).toEqual([{ allow: true, access: 'rwm' }]);
      expect(r.spec!.linux!.devices).toHaveLength(1);
    });

    it('rootless: no rule; a node from another host path is bind-mounted (runc binds rootless nodes from their path)', async () => {
      const spec = baseSpec((s) => { delete s.linux!.resources; });
      const r = await cdi({ devices: ['v.com/n=x'] }, [nodes([{ path: '/dev/null' }, { path: '/dev/cdi-null', hostPath: '/dev/null' }])], { spec, env: { rootless: true, uid: 1000, gid: 1000 } });
      expect(r.errors).toEqual([]);
      expect(r.spec!.linux!.resources).toBeUndefined();
      expect(r.spec!.linux!.devices).toEqual([{ path: '/dev/null', ...NULL, fileMode: expect.any(Number) }]);
      expect(r.spec!.mounts!.at(-1)).toEqual({ destination: '/dev/cdi-null', type: 'bind', source: '/dev/null', options: ['bind'] });
    });

    it.each([
      { what: 'a host node that is not there', node: { path: '/dev/ctnr-no-such-node' }, msg: 'host device /dev/ctnr-no-such-node: no such file or directory (ENOENT) (a node that is not on this host must give its type and major)' },
      { what: 'a host file that is not a node', node: { path: '/dev/x', hostPath: '/etc/hostname' }, msg: 'host device /etc/hostname is not a device node' },
      { what: 'a type the host node does not have', node: { path: '/dev/null', type: 'b' }, msg: 'device /dev/null: type "b" but the host node /dev/null is "c"' },
    ])('refuses $what, at the compose key, naming the spec file', async ({ node, msg }) => {
      const d = nodes([node]);
      const r = await cdi({ devices: ['v.com/n=x'] }, [d]);
      expect(r.spec).toBeUndefined();
      expect(r.errors).toMatchObject([{ code: 'CDI_EDIT_FAILED', plugin: 'ctnr:cdi', path: 'services.svc.devices[0]' }]);
      expect(r.errors[0]!.message).toBe(`v.com/n=x: ${msg} (${path.join(d, 'n.json')} devices[0].containerEdits)`);
      expect(r.errors[0]!.location).toMatchObject({ file: 'compose.yaml', line: expect.any(Number) });
    });
  });

  describe('mounts, hooks, gids, RDT, net devices', () => {
    const edits = (containerEdits: object, version = '1.1.0') => specDir({ 'e.json': { cdiVersion: version, kind: 'v.com/e', devices: [{ name: 'x', containerEdits }] } });

    it('a mount replaces the one at its destination; before a mount below it; else appended; no type: a bind', async () => {
      const spec = baseSpec((s) => s.mounts!.push({ destination: '/opt/lib/sub', type: 'bind', source: '/srv/sub', options: ['rbind'] }));
      const r = await cdi({ devices: ['v.com/e=x'] }, [edits({ mounts: [
        { hostPath: '/srv/shm', containerPath: '/dev/shm/' },
        { hostPath: '/srv/lib', containerPath: '/opt/lib', options: ['ro'] },
        { hostPath: '/srv/tmp', containerPath: '/tmp', type: 'tmpfs', options: ['size=1m'] },
      ] }, '0.4.0')], { spec });
      expect(r.errors).toEqual([]);
      expect(r.ops.map((o) => [o.op, o.path])).toEqual([['replace', '/mounts/3'], ['add', '/mounts/6'], ['add', '/mounts/-']]);
      expect(r.spec!.mounts!.map((m) => m.destination)).toEqual(['/proc', '/dev', '/dev/pts', '/dev/shm/', '/dev/mqueue', '/sys', '/opt/lib', '/opt/lib/sub', '/tmp']);
      expect(r.spec!.mounts![6]).toEqual({ destination: '/opt/lib', type: 'bind', source: '/srv/lib', options: ['ro', 'rbind'] });
      expect(r.spec!.mounts![8]).toEqual({ destination: '/tmp', type: 'tmpfs', source: '/srv/tmp', options: ['size=1m'] });
    });

    it('a bind mount from a relative host path is refused', async () => {
      const r = await cdi({ devices: ['v.com/e=x'] }, [edits({ mounts: [{ hostPath: 'lib', containerPath: '/lib2' }] }, '0.3.0')]);
      expect(r.errors[0]!.message).toMatch(/^v.com\/e=x: mount \/lib2: a bind mount's hostPath must be absolute, got "lib"/);
    });

    it('hooks append to the named OCI hook list, after what is there', async () => {
      const spec = baseSpec((s) => { s.hooks = { prestart: [{ path: '/bin/first' }] }; });
      const r = await cdi({ devices: ['v.com/e=x'] }, [edits({ hooks: [
        { hookName: 'prestart', path: '/bin/p' },
        { hookName: 'createRuntime', path: '/bin/cr' },
        { hookName: 'startContainer', path: '/bin/sc' },
        { hookName: 'poststart', path: '/bin/ps' },
        { hookName: 'poststop', path: '/bin/po' },
      ] }, '0.3.0')], { spec });
      expect(r.spec!.hooks).toEqual({
        prestart: [{ path: '/bin/first' }, { path: '/bin/p' }],
        createRuntime: [{ path: '/bin/cr' }],
        startContainer: [{ path: '/bin/sc' }],
        poststart: [{ path: '/bin/ps' }],
        poststop: [{ path: '/bin/po' }],
      });
    });

    it('additionalGids join the ones there (0 and repeats skipped)', async () => {
      const spec = baseSpec((s) => { s.process!.user.additionalGids = [10]; });
      const r = await cdi({ devices: ['v.com/e=x'] }, [edits({ additionalGids: [10, 0, 20, 20] }, '0.7.0')], { spec });
      expect(r.ops).toEqual([expect.objectContaining({ op: 'add', path: '/process/user/additionalGids/-', value: 20 })]);
      expect(r.spec!.process!.user.additionalGids).toEqual([10, 20]);
    });

    it('intelRdt and netDevices', async () => {
      const r = await cdi({ devices: ['v.com/e=x'] }, [edits({ intelRdt: { closID: 'gold', l3CacheSchema: 'L3:0=ff', schemata: ['MB:0=50'] }, netDevices: [{ hostInterfaceName: 'eth7', name: 'net0' }] })]);
      expect(r.errors).toEqual([]);
      expect(r.spec!.linux!.intelRdt).toEqual({ closID: 'gold', l3CacheSchema: 'L3:0=ff', schemata: ['MB:0=50'] });
      expect(r.spec!.linux!.netDevices).toEqual({ eth7: { name: 'net0' } });
    });
  });

  describe('unknown devices and bad spec files', () => {
    it('an unknown device is an error at its key listing the devices of its kind; nothing is written', async () => {
      const d = specDir({ 'v.json': specOf('v.com/c', ['b', 'a']) });
      const r = await cdi({ devices: ['/dev/null', 'v.com/c=z'] }, [d]);
      expect(r.spec).toBeUndefined();
      expect(r.errors).toMatchObject([{ code: 'CDI_DEVICE_UNKNOWN', plugin: 'ctnr:cdi', path: 'services.svc.devices[1]', message: 'unknown CDI device v.com/c=z: v.com/c has a, b' }]);
      expect(r.errors[0]!.location).toMatchObject({ file: 'compose.yaml' });
    });

    it('an unknown kind lists the known kinds', async () => {
      const d = specDir({ 'v.json': specOf('v.com/c', ['a']), 'w.json': specOf('w.com/x', ['a']) });
      const r = await cdi({ devices: ['z.com/c=a'] }, [d]);
      expect(r.errors[0]!.message).toBe(`unknown CDI device z.com/c=a: no CDI spec of kind z.com/c in ${d} (known kinds: v.com/c, w.com/x)`);
    });

    it('a bad spec file of the kind: named in the error when the device is not found, a warning when another file has it', async () => {
      const d = specDir({ 'a.json': specOf('v.com/c', ['a']), 'b.yaml': 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices:\n  - name: b\n    containerEdits: {env: [B]}\n' });
      const bad = `${path.join(d, 'b.yaml')}:5:28 devices[0].containerEdits.env[0]: is not NAME=VALUE`;
      const missing = await cdi({ devices: ['v.com/c=b'] }, [d]);
      expect(missing.errors[0]!.message).toBe(`unknown CDI device v.com/c=b: v.com/c has a; spec files that could not be used: ${bad}`);
      const found = await cdi({ devices: ['v.com/c=a'] }, [d]);
      expect(found.errors).toEqual([]);
      expect(found.diagnostics).toMatchObject([{ level: 'warning', code: 'CDI_SPEC_INVALID', plugin: 'ctnr:cdi', path: 'services.svc.devices[0]', message: `CDI spec ${bad} (its devices are left out)` }]);
      // A bad file of another kind is not this service's business.
      const other = await cdi({ devices: ['v.com/c=a'] }, [specDir({ 'a.json': specOf('v.com/c', ['a']), 'w.json': { ...specOf('w.com/c', ['a']), cdiVersion: '9' } })]);
      expect(other.diagnostics).toEqual([]);
    });
  });

  describe('gpus and deploy.resources.reservations.devices', () => {
    const gpuDir = (names: string[]) => specDir({ 'nvidia.yaml': specOf('nvidia.com/gpu', names) });
    const envOf = (r: Awaited<ReturnType<typeof cdi>>) => r.spec?.process?.env?.slice(1);

    it.each([
      { what: 'gpus: all takes the vendor\'s "all" device', gpus: 'all', names: ['0', '1', 'all'], env: ['DEV_all=1'] },
      { what: 'gpus: all without an "all" device takes every device, in natural order', gpus: 'all', names: ['10', '2'], env: ['DEV_2=1', 'DEV_10=1'] },
      { what: 'count: all', gpus: [{ count: 'all' }], names: ['0', '1'], env: ['DEV_0=1', 'DEV_1=1'] },
      { what: 'count: -1', gpus: [{ count: -1, capabilities: ['gpu'] }], names: ['0', '1'], env: ['DEV_0=1', 'DEV_1=1'] },
      { what: 'count: N takes the first N (not "all")', gpus: [{ count: 2 }], names: ['all', '2', '10', '1'], env: ['DEV_1=1', 'DEV_2=1'] },
      { what: 'device_ids', gpus: [{ device_ids: ['1', 'GPU-abc'] }], names: ['0', '1', 'GPU-abc'], env: ['DEV_1=1', 'DEV_GPU_abc=1'] },
    ])('$what', async ({ gpus, names, env }) => {
      const r = await cdi({ gpus }, [gpuDir(names)]);
      expect(r.errors).toEqual([]);
      expect(envOf(r)).toEqual(env);
    });

    it('a gpus: entry with driver cdi names CDI devices of any kind', async () => {
      const r = await cdi({ gpus: [{ driver: 'cdi', device_ids: ['v.com/c=a'] }] }, [specDir({ 'v.json': specOf('v.com/c', ['a']) })]);
      expect(r.errors).toEqual([]);
      expect(envOf(r)).toEqual(['DEV_a=1']);
    });

    it('deploy reservations: capabilities [gpu] is a GPU request; driver cdi names devices', async () => {
      const d = specDir({ 'nvidia.yaml': specOf('nvidia.com/gpu', ['0', '1']), 'v.json': specOf('v.com/c', ['a']) });
      const r = await cdi({ deploy: { resources: { reservations: { devices: [{ capabilities: ['gpu'], count: 1 }, { driver: 'cdi', capabilities: ['gpu'], device_ids: ['v.com/c=a'] }] } } } }, [d]);
      expect(r.errors).toEqual([]);
      // The names first (devices:, driver cdi), then the GPU requests.
      expect(envOf(r)).toEqual(['DEV_a=1', 'DEV_0=1']);
    });

    it('driver: VENDOR picks the vendor among several GPU kinds; without it, several are an error', async () => {
      const d = specDir({ 'amd.json': specOf('amd.com/gpu', ['0']), 'nvidia.json': specOf('nvidia.com/gpu', ['0']) });
      const picked = await cdi({ gpus: [{ driver: 'nvidia', count: 'all' }] }, [d]);
      expect(picked.errors).toEqual([]);
      expect(picked.spec!.process!.env).toHaveLength(2);
      const both = await cdi({ gpus: 'all' }, [d]);
      expect(both.errors).toMatchObject([{ path: 'services.svc.gpus', message: 'several CDI kinds provide GPUs (amd.com/gpu, nvidia.com/gpu): pick one with driver: VENDOR in a gpus: entry, or name the devices in devices:' }]);
    });

    it.each([
      { what: 'no GPU spec', service: { gpus: 'all' }, path: 'services.svc.gpus', message: (d: string) => `no CDI spec provides GPUs (a kind VENDOR/gpu) in ${d} (known kinds: v.com/c)` },
      { what: 'a driver no GPU spec is of', service: { gpus: [{ driver: 'amd' }] }, path: 'services.svc.gpus[0]', message: (d: string) => `no CDI spec provides amd GPUs (a kind VENDOR/gpu with vendor amd) in ${d} (known kinds: nvidia.com/gpu, v.com/c)`, gpu: true },
      { what: 'more GPUs than there are', service: { gpus: [{ count: 3 }] }, path: 'services.svc.gpus[0].count', message: () => 'asks for 3 GPUs; nvidia.com/gpu has 2 (0, 1)', gpu: true },
      { what: 'an unknown GPU id', service: { gpus: [{ device_ids: ['7'] }] }, path: 'services.svc.gpus[0].device_ids[0]', message: () => 'unknown CDI device nvidia.com/gpu=7: nvidia.com/gpu has 0, 1, all', gpu: true },
      {
        what: 'a reservation that is neither cdi nor gpu',
        service: { deploy: { resources: { reservations: { devices: [{ capabilities: ['tpu'] }] } } } },
        path: 'services.svc.deploy.resources.reservations.devices[0]',
        message: () => 'ctnr honours a device request through CDI only: driver: cdi with device_ids (CDI device names), or capabilities: [gpu] for the GPUs of the CDI spec whose class is gpu (this one asks for tpu)',
      },
    ])('$what is an error at its key', async ({ service, path: keyPath, message, gpu }) => {
      const d = specDir({ 'v.json': specOf('v.com/c', ['a']), ...(gpu ? { 'g.json': specOf('nvidia.com/gpu', ['0', '1', 'all']) } : {}) });
      const r = await cdi(service, [d]);
      expect(r.spec).toBeUndefined();
      expect(r.errors).toMatchObject([{ plugin: 'ctnr:cdi', path: keyPath, message: message(d) }]);
    });

    it('capabilities other than gpu and driver options are warned about, not silently dropped', async () => {
      const r = await cdi({ gpus: [{ capabilities: ['gpu', 'compute', 'utility'], options: { x: '1' } }] }, [gpuDir(['0'])]);
      expect(r.errors).toEqual([]);
      expect(r.diagnostics.map((d) => [d.code, d.path, d.message])).toEqual([
        ['CDI_IGNORED', 'services.svc.gpus[0].capabilities', 'capabilities compute, utility are not used: the CDI spec decides what its GPU devices bring'],
        ['CDI_IGNORED', 'services.svc.gpus[0].options', 'options are not used: CDI devices take no driver options'],
      ]);
    });
  });
});

describe.skipIf(!existsSync('/dev/null'))('ctnr:cdi in the pipeline', () => {
  it('owns what it writes; the trace names the CDI spec file; ctnr:devices leaves CDI names alone', async () => {
    const d = specDir({ 'vendor.yaml': VENDOR_YAML });
    const file = path.join(d, 'vendor.yaml');
    const result = await runServiceYaml({ devices: ['/dev/null:/dev/plain', 'vendor.com/device=dev0'] }, { env: { cdiSpecDirs: [d] } });
    const devices = result.blame('/linux/devices');
    expect(devices.map((t) => [t.plugin, t.pointer, t.source])).toEqual([
      ['ctnr:devices', '/linux/devices', undefined],
      ['ctnr:devices', '/linux/devices/0', undefined],
      ['ctnr:cdi', '/linux/devices/1', `${file} devices[0].containerEdits (vendor.com/device=dev0)`],
    ]);
    expect(result.spec.linux!.devices!.map((x) => x.path)).toEqual(['/dev/plain', '/dev/cdi-null']);
    for (const t of result.trace.filter((t) => t.plugin === 'ctnr:cdi')) expect(t.source).toMatch(new RegExp(`^${file} `));
    expect(result.trace.filter((t) => t.source !== undefined).every((t) => t.plugin === 'ctnr:cdi')).toBe(true);
  });

  it('rootless: no cgroup rule, the node is bound from its host path', async () => {
    const d = specDir({ 'vendor.yaml': VENDOR_YAML });
    const result = await runServiceYaml({ devices: ['vendor.com/device=dev0'] }, { env: { cdiSpecDirs: [d], rootless: true, uid: 1000, gid: 1000 } });
    expect(result.spec.linux!.resources).toBeUndefined();
    expect(result.spec.mounts!.find((m) => m.destination === '/dev/cdi-null')).toEqual({ destination: '/dev/cdi-null', type: 'bind', source: '/dev/null', options: ['bind'] });
  });
});
