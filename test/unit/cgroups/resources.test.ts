import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCompose, testPluginYaml } from '../../helpers/engine.js';
import { baseSpec } from '../../helpers/plugin-table.js';
import type { Env, Plugin } from '../../../src/engine/types.js';
import { memoryPlugin } from '../../../plugins/cgroups/memory.js';
import { cpuPlugin } from '../../../plugins/cgroups/cpu.js';
import { pidsPlugin } from '../../../plugins/cgroups/pids.js';
import { blkioPlugin } from '../../../plugins/cgroups/blkio.js';

const MiB = 1024 * 1024;
const ROOTLESS = { rootless: true, uid: 1000, gid: 1000 };
/** One cgroups plugin alone on a fragment (refused compose keys only warn, as the table's keys include some). */
const run = (plugin: Plugin, service: Record<string, unknown>, env: Partial<Env> = {}) => testPluginYaml(plugin, service, { environment: {}, allowUnsupported: true, env });

describe('ctnr:memory', () => {
  it.each([
    { what: 'mem_limit', service: { mem_limit: '512m' }, memory: { limit: 512 * MiB } },
    { what: 'deploy limit', service: { deploy: { resources: { limits: { memory: '256m' } } } }, memory: { limit: 256 * MiB } },
    { what: 'both agreeing', service: { mem_limit: '256m', deploy: { resources: { limits: { memory: 256 * MiB } } } }, memory: { limit: 256 * MiB } },
    { what: 'reservation (either key)', service: { mem_limit: '1g', deploy: { resources: { reservations: { memory: '512m' } } } }, memory: { limit: 1024 * MiB, reservation: 512 * MiB } },
    { what: 'swap counts memory + swap', service: { mem_limit: '64m', memswap_limit: '128m' }, memory: { limit: 64 * MiB, swap: 128 * MiB } },
    { what: 'unlimited swap', service: { mem_limit: '64m', memswap_limit: -1 }, memory: { limit: 64 * MiB, swap: -1 } },
    { what: 'swappiness', service: { mem_swappiness: 0 }, memory: { swappiness: 0 } },
    { what: 'oom killer off', service: { mem_limit: '64m', oom_kill_disable: true }, memory: { limit: 64 * MiB, disableOOMKiller: true } },
  ])('$what', async ({ service, memory }) => {
    const r = await run(memoryPlugin(), service);
    expect(r.errors).toEqual([]);
    // The base spec has linux.resources (the device rules): one op adds the memory object.
    expect(r.ops).toEqual([{ op: 'add', path: '/linux/resources/memory', value: memory }]);
    expect(r.spec!.linux!.resources!.memory).toEqual(memory);
  });

  it('no memory keys, no memory object', async () => {
    const r = await run(memoryPlugin(), {});
    expect(r.ops).toEqual([]);
    expect(r.spec!.linux!.resources!.memory).toBeUndefined();
  });

  it('oom killer off without a limit warns', async () => {
    const r = await run(memoryPlugin(), { oom_kill_disable: true });
    expect(r.spec!.linux!.resources!.memory).toEqual({ disableOOMKiller: true });
    expect(r.diagnostics.filter((d) => d.plugin === 'ctnr:memory')).toMatchObject([{ level: 'warning', path: 'services.svc.oom_kill_disable' }]);
  });

  it('no linux.resources in the spec: its parents are created', async () => {
    const r = await testPluginYaml(memoryPlugin(), { mem_limit: '64m' }, { spec: baseSpec((s) => { delete s.linux; }) });
    expect(r.ops).toEqual([
      { op: 'add', path: '/linux', value: {} },
      { op: 'add', path: '/linux/resources', value: {} },
      { op: 'add', path: '/linux/resources/memory', value: { limit: 64 * MiB } },
    ]);
  });

  it.each([
    { what: 'conflicting limits name both keys', service: { mem_limit: '512m', deploy: { resources: { limits: { memory: '1g' } } } }, path: 'services.svc.mem_limit', msg: 'mem_limit (536870912) and deploy.resources.limits.memory (1073741824) disagree' },
    { what: 'conflicting reservations', service: { mem_reservation: '1m', deploy: { resources: { reservations: { memory: '2m' } } } }, path: 'services.svc.mem_reservation', msg: 'deploy.resources.reservations.memory' },
    { what: 'below 6 MiB', service: { mem_limit: '4m' }, path: 'services.svc.mem_limit', msg: 'below the minimum of 6 MiB' },
    { what: 'reservation above limit', service: { mem_limit: '64m', mem_reservation: '128m' }, path: 'services.svc.mem_reservation', msg: 'above the memory limit' },
    { what: 'swap without limit', service: { memswap_limit: '1g' }, path: 'services.svc.memswap_limit', msg: 'needs a memory limit' },
    { what: 'swap below limit', service: { mem_limit: '128m', memswap_limit: '64m' }, path: 'services.svc.memswap_limit', msg: 'below the memory limit' },
  ])('$what', async ({ service, path, msg }) => {
    const { errors } = await run(memoryPlugin(), service);
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', path, plugin: 'ctnr:memory', location: { file: 'compose.yaml' } }]);
    expect(errors[0]!.message).toContain(msg);
  });
});

describe('ctnr:cpu', () => {
  it.each([
    { what: 'cpus → quota/period', service: { cpus: 1.5 }, cpu: { quota: 150000, period: 100000 } },
    { what: 'deploy cpus (string)', service: { deploy: { resources: { limits: { cpus: '0.25' } } } }, cpu: { quota: 25000, period: 100000 } },
    { what: 'quota and period as given', service: { cpu_quota: 50000, cpu_period: 200000 }, cpu: { quota: 50000, period: 200000 } },
    { what: 'shares', service: { cpu_shares: 512 }, cpu: { shares: 512 } },
    { what: 'reserved cpus → shares × 1024', service: { deploy: { resources: { reservations: { cpus: 0.5 } } } }, cpu: { shares: 512 } },
    { what: 'cpuset', service: { cpuset: '0-1,3' }, cpu: { cpus: '0-1,3' } },
    { what: 'realtime (duration → µs)', service: { cpu_rt_runtime: '400ms', cpu_rt_period: 1000000 }, cpu: { realtimeRuntime: 400000, realtimePeriod: 1000000 } },
  ])('$what', async ({ service, cpu }) => {
    const r = await run(cpuPlugin(), service);
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual([{ op: 'add', path: '/linux/resources/cpu', value: cpu }]);
    expect(r.spec!.linux!.resources!.cpu).toEqual(cpu);
  });

  it('no cpu keys, no ops', async () => {
    expect((await run(cpuPlugin(), {})).ops).toEqual([]);
  });

  it.each([
    { service: { cpus: 1, cpu_quota: 1000 }, path: 'services.svc.cpu_quota', msg: 'cpus and cpu_quota cannot both be set' },
    { service: { cpus: 1, deploy: { resources: { limits: { cpus: 2 } } } }, path: 'services.svc.cpus', msg: 'cpus (1) and deploy.resources.limits.cpus (2) disagree' },
    { service: { cpuset: '0-' }, path: 'services.svc.cpuset', msg: 'not a CPU list' },
    { service: { cpu_period: 10 }, path: 'services.svc.cpu_period', msg: 'between 1000 and 1000000' },
  ])('refuses $service', async ({ service, path, msg }) => {
    const { errors } = await testPluginYaml(cpuPlugin(), service, { environment: {} });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:cpu', path }]);
    expect(errors[0]!.message).toContain(msg);
  });
});

describe('ctnr:pids', () => {
  it.each([
    { service: { pids_limit: 100 }, pids: { limit: 100 } },
    { service: { deploy: { resources: { limits: { pids: 50 } } } }, pids: { limit: 50 } },
    { service: { pids_limit: 0 }, pids: undefined },
    { service: { pids_limit: -1 }, pids: undefined },
  ])('$service', async ({ service, pids }) => {
    const r = await run(pidsPlugin(), service);
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual(pids ? [{ op: 'add', path: '/linux/resources/pids', value: pids }] : []);
    expect(r.spec!.linux!.resources!.pids).toEqual(pids);
  });

  it('conflict names both keys', async () => {
    const { errors } = await testPluginYaml(pidsPlugin(), { pids_limit: 10, deploy: { resources: { limits: { pids: 20 } } } }, { environment: {} });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:pids', path: 'services.svc.pids_limit' }]);
    expect(errors[0]!.message).toBe('pids_limit (10) and deploy.resources.limits.pids (20) disagree; set one of them');
  });
});

describe.skipIf(!existsSync('/dev/loop0'))('ctnr:blkio', () => {
  it('weight and throttles by major:minor of the host device', async () => {
    const service = { blkio_config: { weight: 300, weight_device: [{ path: '/dev/loop0', weight: 200 }], device_read_bps: [{ path: '/dev/loop0', rate: '1mb' }], device_write_iops: [{ path: '/dev/loop0', rate: 30 }] } };
    const r = await run(blkioPlugin(), service);
    expect(r.errors).toEqual([]);
    const blockIO = {
      weight: 300,
      weightDevice: [{ major: 7, minor: 0, weight: 200 }],
      throttleReadBpsDevice: [{ major: 7, minor: 0, rate: MiB }],
      throttleWriteIOPSDevice: [{ major: 7, minor: 0, rate: 30 }],
    };
    expect(r.ops).toEqual([{ op: 'add', path: '/linux/resources/blockIO', value: blockIO }]);
    expect(r.spec!.linux!.resources!.blockIO).toEqual(blockIO);
  });

  it.each([
    { p: '/dev/null', msg: 'not a block device' },
    { p: '/dev/nonexistent-disk', msg: 'does not exist' },
  ])('refuses $p', async ({ p, msg }) => {
    const { errors } = await testPluginYaml(blkioPlugin(), { blkio_config: { device_read_bps: [{ path: p, rate: 1 }] } }, { environment: {} });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:blkio', path: 'services.svc.blkio_config.device_read_bps[0].path' }]);
    expect(errors[0]!.message).toContain(msg);
  });
});

describe('rootless: each plugin writes no limits and warns at each key it dropped', () => {
  it.each([
    { plugin: memoryPlugin, service: { mem_limit: '64m', deploy: { resources: { limits: { memory: '64m' } } } }, paths: ['services.svc.mem_limit', 'services.svc.deploy.resources.limits.memory'] },
    { plugin: cpuPlugin, service: { cpus: 1, cpuset: '0' }, paths: ['services.svc.cpus', 'services.svc.cpuset'] },
    { plugin: pidsPlugin, service: { pids_limit: 10 }, paths: ['services.svc.pids_limit'] },
    { plugin: blkioPlugin, service: { blkio_config: { weight: 300 } }, paths: ['services.svc.blkio_config'] },
  ])('$plugin.name: $paths', async ({ plugin, service, paths }) => {
    const r = await run(plugin(), service, ROOTLESS);
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual([]);
    const warned = r.diagnostics.filter((d) => /rootless container cannot set cgroup limits/.test(d.message));
    expect(warned.map((d) => d.path)).toEqual(paths);
    expect(warned.every((d) => d.level === 'warning' && d.plugin === plugin().name)).toBe(true);
  });
});

describe('pipeline: rootless, the whole cgroups stage after ctnr:rootless', () => {
  it('writes no resources and names every dropped key, in stage order', async () => {
    const service = { mem_limit: '64m', cpus: 1, pids_limit: 10, deploy: { resources: { limits: { memory: '64m' } } }, device_cgroup_rules: ['c 1:3 r'], cgroup_parent: 'x' };
    const result = await runCompose(service, {}, { allowUnsupported: true, env: ROOTLESS });
    expect(result.spec.linux!.resources).toBeUndefined();
    expect(result.spec.linux!.cgroupsPath).toBeUndefined();
    const warned = result.diagnostics.filter((d) => /rootless container cannot set cgroup limits/.test(d.message)).map((d) => d.path);
    expect(warned).toEqual([
      'services.svc.mem_limit', 'services.svc.deploy.resources.limits.memory', 'services.svc.cpus', 'services.svc.pids_limit',
      'services.svc.device_cgroup_rules', 'services.svc.cgroup_parent',
    ]);
  });
});
