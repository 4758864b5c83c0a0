import type { PolicyViolation } from '../policy/evaluate.js';

/**
 * What a refused (or warned) container shows its user, one line per violated control:
 * `ctnr: policy baseline: privileged: privileged containers are not allowed (/sys is mounted writable at /mounts/2/options; …)`.
 * The engines print the runtime's last error line (podman: stderr or the JSON log; containerd and the kubelet: the
 * JSON log), so the sentence leads and the details follow on the same line.
 */
const SUMMARY: Readonly<Record<string, string>> = {
  hostNamespaces: "sharing the host's namespaces is not allowed",
  privileged: 'privileged containers are not allowed',
  capabilities: 'capabilities beyond the baseline set are not allowed',
  hostPathVolumes: 'host path mounts are not allowed',
  hostPorts: 'host ports are not allowed',
  apparmor: 'an unconfined AppArmor profile is not allowed',
  selinux: 'this SELinux label is not allowed',
  seccomp: 'running without a seccomp filter is not allowed',
  sysctls: 'unsafe sysctls are not allowed',
  procMount: 'an unmasked /proc is not allowed',
  volumeTypes: 'these mount types are not allowed',
  allowPrivilegeEscalation: 'privilege escalation must be disabled (no_new_privs)',
  runAsNonRoot: 'containers must not run as root',
  seccompRequired: 'a seccomp allow-list profile is required',
  capabilitiesRestricted: 'capabilities other than CAP_NET_BIND_SERVICE are not allowed',
  readOnlyRootFilesystem: 'the root filesystem must be read-only',
};

/** `ctnr:policy-baseline` → `baseline`; a validator from elsewhere keeps its name. */
export function policyName(validator: string): string {
  return validator.startsWith('ctnr:policy-') ? validator.slice('ctnr:policy-'.length) : validator;
}

export interface PolicyLine {
  mode: PolicyViolation['mode'];
  text: string;
}

/** One line per (validator, control) that is violated and not exempt, in the order the validators reported. */
export function violationLines(violations: readonly PolicyViolation[]): PolicyLine[] {
  const groups = new Map<string, PolicyViolation[]>();
  for (const v of violations) {
    if (v.exemption) continue;
    const key = `${v.validator}\u0000${v.control}`;
    const list = groups.get(key);
    if (list) list.push(v);
    else groups.set(key, [v]);
  }
  return [...groups.values()].map((list) => {
    const { validator, control, mode } = list[0]!;
    const details = findings(list).join('; ');
    const summary = SUMMARY[control];
    const text = summary ? `policy ${policyName(validator)}: ${control}: ${summary} (${details})` : `policy ${policyName(validator)}: ${control}: ${details}`;
    return { mode, text };
  });
}

/**
 * The findings of one control as text. The capability controls report each set alike ("bounding set has X",
 * "effective set has X", …): those become one finding naming the sets, so a refusal stays readable where an engine
 * shows it (a pod's events).
 */
function findings(list: readonly PolicyViolation[]): string[] {
  const out: string[] = [];
  const sets = new Map<string, string[]>();
  for (const v of list) {
    const m = /^(\w+) set has (.*)$/s.exec(v.message);
    if (m && v.pointer.startsWith('/process/capabilities/')) {
      const same = sets.get(m[2]!);
      if (same) {
        same.push(m[1]!);
        continue;
      }
      const named = [m[1]!];
      sets.set(m[2]!, named);
      out.push(`\u0000${m[2]}`);
      continue;
    }
    out.push(`${v.message}${v.pointer ? ` at ${v.pointer}` : ''}`);
  }
  return out.map((t) => {
    if (!t.startsWith('\u0000')) return t;
    const rest = t.slice(1);
    const named = sets.get(rest)!;
    return `${named.join(', ')} set${named.length > 1 ? 's have' : ' has'} ${rest} at /process/capabilities`;
  });
}
