import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import { dropForRootless } from './resources.js';
import type { DeviceRule } from '../../src/spec/types.js';
import type { Operation } from '../../src/engine/types.js';

const RULE = /^([abc]) (\d+|\*):(\d+|\*) ([rwm]{1,3})$/;

/**
 * `device_cgroup_rules` (`c 1:3 mr`, `b 8:* rw`, `a *:* rwm`) → allow rules appended to
 * `linux.resources.devices`, after the deny-all default, as docker does.
 */
export function deviceCgroupRulesPlugin() {
  return definePlugin({
    name: 'ctnr:device-cgroup-rules',
    stage: 'cgroups',
    after: ['ctnr:devices'],
    apply(ctx) {
      const { service, spec, error } = ctx;
      const list = service.device_cgroup_rules ?? [];
      if (list.length === 0) return [];
      const rules: DeviceRule[] = [];
      list.forEach((text, i) => {
        const m = RULE.exec(text.trim());
        if (!m || new Set(m[4]).size !== m[4]!.length) {
          error(`"${text}" is not a device cgroup rule (expected TYPE MAJOR:MINOR ACCESS, e.g. "c 1:3 mr" or "b 8:* rw")`, ['device_cgroup_rules', i]);
          return;
        }
        const rule: DeviceRule = { allow: true, type: m[1] as DeviceRule['type'], access: m[4]! };
        if (m[2] !== '*') rule.major = Number(m[2]);
        if (m[3] !== '*') rule.minor = Number(m[3]);
        rules.push(rule);
      });
      if (dropForRootless(ctx, [['device_cgroup_rules', list]])) return [];
      const out: Operation[] = [];
      if (spec.linux === undefined) out.push(ops.add('/linux', {}));
      if (spec.linux?.resources === undefined) out.push(ops.add('/linux/resources', {}));
      if (spec.linux?.resources?.devices === undefined) out.push(ops.add('/linux/resources/devices', []));
      for (const r of rules) out.push(ops.add('/linux/resources/devices/-', r));
      return out;
    },
  });
}
