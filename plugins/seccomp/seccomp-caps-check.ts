import { definePlugin } from '../../src/engine/define.js';

const CAPS = '/process/capabilities';
const CAPS_PREFIX = `${CAPS}/`;

/**
 * The default seccomp profile is derived from the bounding set, so a plugin that changes capabilities after
 * `ctnr:seccomp` (a preset adding one to a later stage) would leave a profile that allows too little or too
 * much. Validators see the whole trace: flag any capability write that comes after the profile was written.
 */
export function seccompCapsCheckPlugin() {
  return definePlugin({
    name: 'ctnr:seccomp-caps-check',
    stage: 'seccomp',
    validate({ trace, spec }) {
      if (!spec.linux?.seccomp) return [];
      // One pass backwards to the profile's last write, collecting capability writes after it (usually none).
      const late: Array<(typeof trace)[number]> = [];
      let i = trace.length - 1;
      for (; i >= 0 && trace[i]!.plugin !== 'ctnr:seccomp'; i--) {
        const p = trace[i]!.pointer;
        if (p === '' || p === '/process' || p === CAPS || p.startsWith(CAPS_PREFIX)) late.unshift(trace[i]!);
      }
      if (i < 0) return [];
      return late.map((t) => ({
        control: 'seccomp-after-capabilities',
        pointer: t.pointer,
        plugin: t.plugin,
        message: `${t.plugin} (stage ${t.stage}) changed capabilities after ctnr:seccomp derived the profile from them; run it in an earlier stage`,
      }));
    },
  });
}
