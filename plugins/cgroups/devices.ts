import path from 'node:path';
import { statSync } from 'node:fs';
import { definePlugin } from '../../src/engine/define.js';
import { allowsAllDevices } from './device-rules.js';
import { deviceFromStats, listDevices } from '../../src/linux/devices.js';
import { ops } from '../../src/engine/patch.js';
import type { Device, DeviceRule } from '../../src/spec/types.js';
import type { Operation } from '../../src/engine/types.js';

/**
 * `devices:` → device nodes in `linux.devices` (type, major/minor, mode and owner taken from the host node,
 * at the container path asked for) plus an allow rule with the given permissions in the device cgroup. A
 * directory source maps every device below it (docker). A device already in the spec at the same path (e.g.
 * from privileged's host devices) is replaced in place. No rules are added when the rules already allow
 * everything (privileged) or in rootless mode (no cgroup; runc bind-mounts the nodes instead of mknod).
 */
export function devicesPlugin() {
  return definePlugin({
    name: 'ctnr:devices',
    stage: 'cgroups',
    apply({ service, spec, env, error }) {
      const list = service.devices ?? [];
      if (!list.some((d) => !('cdi' in d))) return [];
      const devices: Device[] = [];
      const rules: DeviceRule[] = [];
      list.forEach((d, i) => {
        if ('cdi' in d) return; // a CDI device name: ctnr:cdi's
        let st;
        try {
          st = statSync(d.source);
        } catch {
          error(`device ${d.source} does not exist on this host`, ['devices', i]);
          return;
        }
        // A directory's device nodes are found by walking it; only /dev holds them. `/` (or `//`) would walk the
        // whole host, and hand the container every device node left in any image or bind on it.
        if (st.isDirectory() && !isUnderDev(d.source)) {
          error(`${d.source} is a directory outside /dev: only a directory under /dev (e.g. /dev/snd) maps the device nodes in it`, ['devices', i]);
          return;
        }
        const found = st.isDirectory() ? listDevices(d.source, d.target) : [deviceFromStats(st, d.target)].filter((x): x is Device => x !== undefined);
        if (found.length === 0) {
          error(`${d.source} is not a device${st.isDirectory() ? ' directory (no device nodes below it)' : ''}`, ['devices', i]);
          return;
        }
        for (const dev of found) {
          devices.push(dev);
          rules.push({ allow: true, type: dev.type as 'c' | 'b', major: dev.major!, minor: dev.minor!, access: d.permissions });
        }
      });
      const out: Operation[] = [];
      if (spec.linux === undefined) out.push(ops.add('/linux', {}));
      const existing = spec.linux?.devices;
      if (existing === undefined) out.push(ops.add('/linux/devices', []));
      const appended = new Map<string, number>();
      for (const dev of devices) {
        const at = (existing ?? []).findIndex((e) => e.path === dev.path);
        if (at >= 0) out.push(ops.replace(`/linux/devices/${at}`, dev));
        else if (appended.has(dev.path)) error(`two devices map to ${dev.path} in the container`, ['devices']);
        else {
          appended.set(dev.path, 1);
          out.push(ops.add('/linux/devices/-', dev));
        }
      }
      const resources = spec.linux?.resources;
      if (!env.rootless && !allowsAllDevices(resources?.devices)) {
        if (resources === undefined) out.push(ops.add('/linux/resources', {}));
        if (resources?.devices === undefined) out.push(ops.add('/linux/resources/devices', []));
        for (const r of rules) out.push(ops.add('/linux/resources/devices/-', r));
      }
      return out;
    },
  });
}

/** `/dev/snd`, `/dev/dri/` — not `/dev` itself (every device of the host), not `/devices`, not `/dev/../etc`. */
function isUnderDev(source: string): boolean {
  const norm = path.posix.normalize(source);
  return norm.startsWith('/dev/') && norm.length > '/dev/'.length;
}
