import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeError, runCompose } from '../mounts/compose.js';

const MiB = 1024 * 1024;
const run = (service: Record<string, unknown>, env = {}) => runCompose(service, {}, { allowUnsupported: true, env });
const resources = async (service: Record<string, unknown>) => (await run(service)).spec.linux!.resources!;

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
    expect((await resources(service)).memory).toEqual(memory);
  });

  it('no memory keys, no memory object', async () => {
    expect((await resources({})).memory).toBeUndefined();
  });

  it.each([
    { what: 'conflicting limits name both keys', service: { mem_limit: '512m', deploy: { resources: { limits: { memory: '1g' } } } }, path: 'services.svc.mem_limit', msg: 'mem_limit (536870912) and deploy.resources.limits.memory (1073741824) disagree' },
    { what: 'conflicting reservations', service: { mem_reservation: '1m', deploy: { resources: { reservations: { memory: '2m' } } } }, path: 'services.svc.mem_reservation', msg: 'deploy.resources.reservations.memory' },
    { what: 'below 6 MiB', service: { mem_limit: '4m' }, path: 'services.svc.mem_limit', msg: 'below the minimum of 6 MiB' },
    { what: 'reservation above limit', service: { mem_limit: '64m', mem_reservation: '128m' }, path: 'services.svc.mem_reservation', msg: 'above the memory limit' },
    { what: 'swap without limit', service: { memswap_limit: '1g' }, path: 'services.svc.memswap_limit', msg: 'needs a memory limit' },
    { what: 'swap below limit', service: { mem_limit: '128m', memswap_limit: '64m' }, path: 'services.svc.memswap_limit', msg: 'below the memory limit' },
  ])('$what', async ({ service, path, msg }) => {
    const err = await composeError(service, {}, { allowUnsupported: true });
    expect(err.code).toBe('SERVICE_INVALID');
    expect(err.path).toBe(path);
    expect(err.message).toContain(msg);
    expect(err.plugin).toBe('ctnr:memory');
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
    expect((await resources(service)).cpu).toEqual(cpu);
  });

  it.each([
    { service: { cpus: 1, cpu_quota: 1000 }, path: 'services.svc.cpu_quota', msg: 'cpus and cpu_quota cannot both be set' },
    { service: { cpus: 1, deploy: { resources: { limits: { cpus: 2 } } } }, path: 'services.svc.cpus', msg: 'cpus (1) and deploy.resources.limits.cpus (2) disagree' },
    { service: { cpuset: '0-' }, path: 'services.svc.cpuset', msg: 'not a CPU list' },
    { service: { cpu_period: 10 }, path: 'services.svc.cpu_period', msg: 'between 1000 and 1000000' },
  ])('refuses $service', async ({ service, path, msg }) => {
    const err = await composeError(service);
    expect(err.path).toBe(path);
    expect(err.message).toContain(msg);
  });
});

describe('ctnr:pids', () => {
  it.each([
    { service: { pids_limit: 100 }, pids: { limit: 100 } },
    { service: { deploy: { resources: { limits: { pids: 50 } } } }, pids: { limit: 50 } },
    { service: { pids_limit: 0 }, pids: undefined },
    { service: { pids_limit: -1 }, pids: undefined },
  ])('$service', async ({ service, pids }) => {
    expect((await resources(service)).pids).toEqual(pids);
  });

  it('conflict names both keys', async () => {
    const err = await composeError({ pids_limit: 10, deploy: { resources: { limits: { pids: 20 } } } });
    expect(err.message).toBe('pids_limit (10) and deploy.resources.limits.pids (20) disagree; set one of them');
  });
});

describe.skipIf(!existsSync('/dev/loop0'))('ctnr:blkio', () => {
  it('weight and throttles by major:minor of the host device', async () => {
    const blockIO = (await resources({ blkio_config: { weight: 300, weight_device: [{ path: '/dev/loop0', weight: 200 }], device_read_bps: [{ path: '/dev/loop0', rate: '1mb' }], device_write_iops: [{ path: '/dev/loop0', rate: 30 }] } })).blockIO;
    expect(blockIO).toEqual({
      weight: 300,
      weightDevice: [{ major: 7, minor: 0, weight: 200 }],
      throttleReadBpsDevice: [{ major: 7, minor: 0, rate: MiB }],
      throttleWriteIOPSDevice: [{ major: 7, minor: 0, rate: 30 }],
    });
  });

  it.each([
    { p: '/dev/null', msg: 'not a block device' },
    { p: '/dev/nonexistent-disk', msg: 'does not exist' },
  ])('refuses $p', async ({ p, msg }) => {
    const err = await composeError({ blkio_config: { device_read_bps: [{ path: p, rate: 1 }] } });
    expect(err.path).toBe('services.svc.blkio_config.device_read_bps[0].path');
    expect(err.message).toContain(msg);
  });
});

describe('rootless: limits are dropped, each with a warning', () => {
  it('writes no resources and names every dropped key', async () => {
    const result = await run({ mem_limit: '64m', cpus: 1, pids_limit: 10, deploy: { resources: { limits: { memory: '64m' } } }, device_cgroup_rules: ['c 1:3 r'], cgroup_parent: 'x' }, { rootless: true, uid: 1000, gid: 1000 });
    expect(result.spec.linux!.resources).toBeUndefined();
    expect(result.spec.linux!.cgroupsPath).toBeUndefined();
    const warned = result.diagnostics.filter((d) => /rootless container cannot set cgroup limits/.test(d.message)).map((d) => d.path);
    expect(warned).toEqual([
      'services.svc.mem_limit', 'services.svc.deploy.resources.limits.memory', 'services.svc.cpus', 'services.svc.pids_limit',
      'services.svc.device_cgroup_rules', 'services.svc.cgroup_parent',
    ]);
  });
});
