/**
 * `security_opt` entries as docker reads them: `key=value` or the legacy `key:value`, and bare
 * `no-new-privileges`. Each stage's plugin picks its own keys; `ctnr:security-opt` rejects unknown ones.
 */
export interface SecurityOpt {
  key: string;
  value: string;
  index: number;
}

export const SECURITY_OPT_KEYS = ['no-new-privileges', 'apparmor', 'label', 'seccomp', 'systempaths', 'mask', 'unmask'] as const;

export function parseSecurityOpts(list: readonly string[] | undefined): SecurityOpt[] {
  return (list ?? []).map((raw, index) => {
    const m = /^([a-z-]+)(?:[=:](.*))?$/s.exec(raw.trim());
    if (!m) return { key: raw, value: '', index };
    return { key: m[1]!, value: m[2] ?? '', index };
  });
}
