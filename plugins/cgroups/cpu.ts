import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import { deployPath, dropForRootless, eitherKey } from './resources.js';
import type { Resources } from '../../src/spec/types.js';

/** Docker's CFS period for `--cpus`. */
const PERIOD = 100_000;
const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;
/** The keys read below, in the order of `values`: their paths for messages, built once rather than per service. */
const CPU_KEYS: ReadonlyArray<string | string[]> = [
  'cpus', deployPath('limits', 'cpus'), 'cpu_quota', 'cpu_period', 'cpu_shares', deployPath('reservations', 'cpus'),
  'cpuset', 'cpu_rt_runtime', 'cpu_rt_period',
];

/**
 * CPU cgroup: `cpus` / `deploy.resources.limits.cpus` → CFS quota over a 100 ms period (docker's NanoCPUs),
 * `cpu_quota` / `cpu_period` as given (not together with `cpus`, as docker refuses), `cpu_shares` (or
 * `deploy.resources.reservations.cpus` × 1024), `cpuset`, `cpu_rt_runtime` / `cpu_rt_period` (µs).
 */
export function cpuPlugin() {
  return definePlugin({
    name: 'ctnr:cpu',
    stage: 'cgroups',
    apply(ctx) {
      const { service, spec, error } = ctx;
      const dep = service.deploy?.resources;
      const values = [
        service.cpus, dep?.limits?.cpus, service.cpu_quota, service.cpu_period, service.cpu_shares, dep?.reservations?.cpus,
        service.cpuset, service.cpu_rt_runtime, service.cpu_rt_period,
      ];
      if (values.every((v) => v === undefined)) return [];
      const given = CPU_KEYS.map((key, i): [string | string[], unknown] => [key, values[i]]);
      if (dropForRootless(ctx, given)) return [];
      const cpu: NonNullable<Resources['cpu']> = {};
      const cpus = eitherKey(ctx, ['cpus', service.cpus], [deployPath('limits', 'cpus'), dep?.limits?.cpus]);
      if (cpus !== undefined && cpus > 0) {
        const clash = (['cpu_quota', 'cpu_period'] as const).find((k) => service[k] !== undefined);
        if (clash) error(`cpus and ${clash} cannot both be set (cpus is a quota over a ${PERIOD} µs period)`, [clash]);
        cpu.quota = Math.round(cpus * PERIOD);
        cpu.period = PERIOD;
      }
      if (service.cpu_quota !== undefined && service.cpu_quota !== 0) cpu.quota = service.cpu_quota;
      if (service.cpu_period !== undefined && service.cpu_period !== 0) {
        if (service.cpu_period < 1000 || service.cpu_period > 1_000_000) error('cpu_period must be between 1000 and 1000000 µs', ['cpu_period']);
        cpu.period = service.cpu_period;
      }
      const reservedCpus = dep?.reservations?.cpus;
      const shares = eitherKey(ctx, ['cpu_shares', service.cpu_shares], [deployPath('reservations', 'cpus'), reservedCpus === undefined ? undefined : Math.round(reservedCpus * 1024)]);
      if (shares !== undefined && shares > 0) cpu.shares = shares;
      if (service.cpuset !== undefined) {
        if (!CPU_LIST.test(service.cpuset.trim())) error(`cpuset "${service.cpuset}" is not a CPU list (e.g. 0-3 or 0,2)`, ['cpuset']);
        else cpu.cpus = service.cpuset.trim();
      }
      if (service.cpu_rt_runtime !== undefined) cpu.realtimeRuntime = service.cpu_rt_runtime;
      if (service.cpu_rt_period !== undefined) cpu.realtimePeriod = service.cpu_rt_period;
      if (Object.keys(cpu).length === 0) return [];
      return [...ops.ensureParents(spec, '/linux/resources/cpu'), ops.set(spec, '/linux/resources/cpu', cpu)];
    },
  });
}
