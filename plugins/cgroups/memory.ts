import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import { deployPath, dropForRootless, eitherKey } from './resources.js';
import type { Resources } from '../../src/spec/types.js';

/** Docker's floor: the kernel needs some memory to start a container at all. */
const MIN_MEMORY = 6 * 1024 * 1024;
/** The keys read below, in the order of `values`: their paths for messages, built once rather than per service. */
const MEMORY_KEYS: ReadonlyArray<string | string[]> = [
  'mem_limit', deployPath('limits', 'memory'), 'mem_reservation', deployPath('reservations', 'memory'), 'memswap_limit',
  'mem_swappiness', 'oom_kill_disable',
];

/**
 * Memory cgroup: `mem_limit` / `deploy.resources.limits.memory` → limit, `mem_reservation` /
 * `deploy.resources.reservations.memory` → reservation (soft limit), `memswap_limit` → swap (memory + swap,
 * docker's meaning; -1 = unlimited), `mem_swappiness`, `oom_kill_disable`. Docker's checks: limit ≥ 6 MiB,
 * reservation ≤ limit, swap needs a limit and is ≥ it.
 */
export function memoryPlugin() {
  return definePlugin({
    name: 'ctnr:memory',
    stage: 'cgroups',
    apply(ctx) {
      const { service, spec, error, warn } = ctx;
      const dep = service.deploy?.resources;
      const values = [
        service.mem_limit, dep?.limits?.memory, service.mem_reservation, dep?.reservations?.memory, service.memswap_limit,
        service.mem_swappiness, service.oom_kill_disable,
      ];
      if (values.every((v) => v === undefined)) return [];
      const given = MEMORY_KEYS.map((key, i): [string | string[], unknown] => [key, values[i]]);
      if (dropForRootless(ctx, given)) return [];
      const limit = eitherKey(ctx, ['mem_limit', service.mem_limit], [deployPath('limits', 'memory'), dep?.limits?.memory]);
      const reservation = eitherKey(ctx, ['mem_reservation', service.mem_reservation], [deployPath('reservations', 'memory'), dep?.reservations?.memory]);
      const memory: NonNullable<Resources['memory']> = {};
      if (limit !== undefined && limit > 0) {
        if (limit < MIN_MEMORY) error(`memory limit ${limit} is below the minimum of 6 MiB (${MIN_MEMORY} bytes)`, service.mem_limit !== undefined ? ['mem_limit'] : deployPath('limits', 'memory'));
        memory.limit = limit;
      }
      if (reservation !== undefined && reservation > 0) {
        if (memory.limit !== undefined && reservation > memory.limit) error(`memory reservation ${reservation} is above the memory limit ${memory.limit}`, service.mem_reservation !== undefined ? ['mem_reservation'] : deployPath('reservations', 'memory'));
        memory.reservation = reservation;
      }
      const swap = service.memswap_limit;
      if (swap !== undefined && swap !== 0) {
        if (memory.limit === undefined) error('memswap_limit needs a memory limit (mem_limit) as well', ['memswap_limit']);
        else if (swap !== -1 && swap < memory.limit) error(`memswap_limit ${swap} is below the memory limit ${memory.limit} (it counts memory plus swap)`, ['memswap_limit']);
        memory.swap = swap;
      }
      if (service.mem_swappiness !== undefined) memory.swappiness = service.mem_swappiness;
      if (service.oom_kill_disable === true) {
        memory.disableOOMKiller = true;
        if (memory.limit === undefined) warn('oom_kill_disable without a memory limit can let the container exhaust host memory', ['oom_kill_disable']);
      }
      if (Object.keys(memory).length === 0) return [];
      return [...ops.ensureParents(spec, '/linux/resources/memory'), ops.set(spec, '/linux/resources/memory', memory)];
    },
  });
}
