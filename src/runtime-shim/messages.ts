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
    const details = list.map((v) => `${v.message}${v.pointer ? ` at ${v.pointer}` : ''}`).join('; ');
    const summary = SUMMARY[control];
    const text = summary ? `policy ${policyName(validator)}: ${control}: ${summary} (${details})` : `policy ${policyName(validator)}: ${control}: ${details}`;
    return { mode, text };
  });
}
