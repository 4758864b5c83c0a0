import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import { didYouMean } from '../../src/engine/errors.js';
import { SECURITY_OPT_KEYS } from '../../src/engine/service.js';

const LABEL_PARTS = ['user', 'role', 'type', 'level'] as const;

/**
 * The `security_opt` parts that land in `process`: `no-new-privileges[:true|false]`, `apparmor=PROFILE`,
 * `label=user:U|role:R|type:T|level:L|disable`. Other known keys (seccomp, systempaths, mask, unmask) are
 * read by their own stages; unknown keys are errors here so none is silently dropped.
 */
export function securityOptPlugin() {
  return definePlugin({
    name: 'ctnr:security-opt',
    stage: 'process',
    apply({ service, spec, error }) {
      const out = [];
      const label: Partial<Record<(typeof LABEL_PARTS)[number], string>> = {};
      let labelDisabled = false;
      for (const opt of service.security_opt ?? []) {
        const where = ['security_opt', opt.index];
        switch (opt.key) {
          case 'no-new-privileges': {
            const v = opt.value === '' ? 'true' : opt.value;
            if (v !== 'true' && v !== 'false') error(`no-new-privileges takes true or false, not "${opt.value}"`, where);
            else out.push(ops.set(spec, '/process/noNewPrivileges', v === 'true'));
            break;
          }
          case 'apparmor':
            if (opt.value === '') error('apparmor needs a profile name (apparmor=PROFILE or apparmor=unconfined)', where);
            else out.push(ops.set(spec, '/process/apparmorProfile', opt.value));
            break;
          case 'label': {
            if (opt.value === 'disable') {
              labelDisabled = true;
              break;
            }
            const m = /^(user|role|type|level|filetype|nested)[:=](.+)$/.exec(opt.value);
            if (!m) error(`label takes user:U, role:R, type:T, level:L or disable, not "${opt.value}"`, where);
            else if (m[1] === 'filetype' || m[1] === 'nested') error(`label ${m[1]} is not supported`, where);
            else label[m[1] as (typeof LABEL_PARTS)[number]] = m[2]!;
            break;
          }
          default:
            if (!(SECURITY_OPT_KEYS as readonly string[]).includes(opt.key)) {
              error(`unknown security option "${opt.key}"${didYouMean(opt.key, SECURITY_OPT_KEYS)}`, where);
            }
        }
      }
      if (!labelDisabled && Object.keys(label).length > 0) {
        const value = `${label.user ?? 'system_u'}:${label.role ?? 'system_r'}:${label.type ?? 'container_t'}:${label.level ?? 's0'}`;
        out.push(ops.set(spec, '/process/selinuxLabel', value));
      }
      return out;
    },
  });
}
