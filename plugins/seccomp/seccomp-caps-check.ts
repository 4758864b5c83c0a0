import { definePlugin } from '../../src/engine/define.js';

const CAPS = '/process/capabilities';

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
      let last = -1;
      trace.forEach((t, i) => {
        if (t.plugin === 'ctnr:seccomp') last = i;
      });
      if (last < 0) return [];
      const late = trace.slice(last + 1).filter((t) => t.pointer === '' || t.pointer === '/process' || t.pointer === CAPS || t.pointer.startsWith(CAPS + '/'));
      return late.map((t) => ({
        control: 'seccomp-after-capabilities',
        pointer: t.pointer,
        plugin: t.plugin,
        message: `${t.plugin} (stage ${t.stage}) changed capabilities after ctnr:seccomp derived the profile from them; run it in an earlier stage`,
      }));
    },
  });
}
