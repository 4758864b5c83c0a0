import { definePlugin } from '../../src/engine/define.js';
import { statDevice } from '../../src/linux/devices.js';
import { ops } from '../../src/engine/patch.js';
import { dropForRootless } from './resources.js';
import type { PluginContext } from '../../src/engine/types.js';

type Throttle = { major: number; minor: number; rate: number };

const THROTTLES = [
  ['device_read_bps', 'throttleReadBpsDevice'],
  ['device_write_bps', 'throttleWriteBpsDevice'],
  ['device_read_iops', 'throttleReadIOPSDevice'],
  ['device_write_iops', 'throttleWriteIOPSDevice'],
] as const;

/**
 * `blkio_config` → `linux.resources.blockIO`: weight, per-device weights and bps/iops throttles. Device
 * paths are host block devices, turned into major:minor here (they must exist on the generating host).
 */
export function blkioPlugin() {
  return definePlugin({
    name: 'ctnr:blkio',
    stage: 'cgroups',
    apply(ctx) {
      const { service, spec } = ctx;
      const cfg = service.blkio_config;
      if (cfg === undefined) return [];
      if (dropForRootless(ctx, [['blkio_config', cfg]])) return [];
      const blockIO: Record<string, unknown> = {};
      if (cfg.weight !== undefined) blockIO.weight = cfg.weight;
      const weights = (cfg.weight_device ?? []).flatMap((w, i) => {
        const d = blockDevice(ctx, w.path, ['blkio_config', 'weight_device', i, 'path']);
        return d ? [{ ...d, weight: w.weight }] : [];
      });
      if (weights.length > 0) blockIO.weightDevice = weights;
      for (const [key, field] of THROTTLES) {
        const list: Throttle[] = (cfg[key] ?? []).flatMap((t, i) => {
          const d = blockDevice(ctx, t.path, ['blkio_config', key, i, 'path']);
          return d ? [{ ...d, rate: t.rate }] : [];
        });
        if (list.length > 0) blockIO[field] = list;
      }
      if (Object.keys(blockIO).length === 0) return [];
      return [...ops.ensureParents(spec, '/linux/resources/blockIO'), ops.set(spec, '/linux/resources/blockIO', blockIO)];
    },
  });
}

function blockDevice(ctx: Pick<PluginContext, 'error'>, p: string, where: Array<string | number>): { major: number; minor: number } | undefined {
  let d;
  try {
    d = statDevice(p, p);
  } catch {
    ctx.error(`${p} does not exist on this host`, where);
    return undefined;
  }
  if (d?.type !== 'b') {
    ctx.error(`${p} is not a block device`, where);
    return undefined;
  }
  return { major: d.major!, minor: d.minor! };
}
