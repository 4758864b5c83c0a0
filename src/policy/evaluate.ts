import { CtnrError } from '../engine/errors.js';
import type { Result } from '../engine/engine.js';
import type { Plan } from '../engine/plan.js';
import type { Diagnostic } from '../engine/types.js';
import { controlMode, findExemption, policyOf, type Exemption, type PolicyMode, type PolicySettings } from './settings.js';
import type { ExemptionSubject } from './subject.js';

/** An exemption as the report prints it: who granted it (a preset's plugin, or the config file). */
export interface GrantedExemption extends Exemption {
  from: string;
}

export interface PolicyViolation {
  control: string;
  mode: PolicyMode;
  /** Validator plugin that reported it. */
  validator: string;
  pointer: string;
  message: string;
  /** Plugin that set the offending value (from the trace). */
  plugin?: string;
  presetChain: readonly string[];
  /** Present when an exemption covers it: the violation neither fails nor warns. */
  exemption?: { reason: string; from: string };
}

export interface ServicePolicy {
  service: string;
  violations: PolicyViolation[];
  /** The service could not be generated (check only): the error, formatted. */
  error?: { code: string; message: string };
}

export interface PolicyReport {
  version: 1;
  services: ServicePolicy[];
  /** Every exemption granted, with whether it matched a violation (an unused one may be stale). */
  exemptions: Array<GrantedExemption & { used: boolean }>;
  summary: { services: number; violations: number; enforce: number; warn: number; audit: number; exempted: number; errors: number };
}

/** Policy settings of every validator of the plan, by plugin name. */
export function validatorSettings(plan: Plan): Map<string, PolicySettings | undefined> {
  const out = new Map<string, PolicySettings | undefined>();
  for (const stage of plan.stages) for (const v of stage.validators) out.set(v.plugin.name, policyOf(v.plugin.options));
  return out;
}

/** Exemptions granted by the plan's validators (their options) and by the config (`policy.exemptions`). */
export function grantedExemptions(plan: Plan, config: { exemptions?: readonly Exemption[]; label?: string } = {}): GrantedExemption[] {
  const out: GrantedExemption[] = [];
  for (const [name, settings] of validatorSettings(plan)) {
    // A validator's own exemptions apply to its own violations only.
    for (const e of settings?.exemptions ?? []) out.push({ ...e, validator: e.validator ?? name, from: name });
  }
  for (const e of config.exemptions ?? []) out.push({ ...e, from: config.label ?? 'config' });
  return out;
}

/**
 * Give each violation of one service its mode and exemption. `subject` is what exemptions are matched against
 * (default: the service name alone; src/policy/subject.ts).
 */
export function evaluateService(plan: Plan, result: Pick<Result, 'serviceName' | 'violations'>, exemptions: readonly GrantedExemption[], subject: ExemptionSubject = { service: result.serviceName }): ServicePolicy {
  const settings = validatorSettings(plan);
  const violations: PolicyViolation[] = [];
  for (const v of result.violations) {
    const mode = controlMode(settings.get(v.validator), v.control);
    if (mode === 'off') continue;
    const ex = findExemption(exemptions, subject, v.control, v.validator);
    violations.push({
      control: v.control,
      mode,
      validator: v.validator,
      pointer: v.pointer,
      message: v.message,
      ...(v.plugin ? { plugin: v.plugin } : {}),
      presetChain: v.presetChain,
      ...(ex ? { exemption: grantedBy(ex) } : {}),
    });
  }
  return { service: result.serviceName, violations };
}

/** The exemption a violation's `exemption` record came from (not enumerable: reports stay plain JSON). */
const GRANTED = Symbol('granted');

function grantedBy(ex: GrantedExemption): { reason: string; from: string } {
  const record = { reason: ex.reason, from: ex.from };
  Object.defineProperty(record, GRANTED, { value: ex, enumerable: false });
  return record;
}

export function buildReport(services: ServicePolicy[], exemptions: readonly GrantedExemption[]): PolicyReport {
  const all = services.flatMap((s) => s.violations.map((v) => ({ service: s.service, v })));
  const live = all.filter((x) => !x.v.exemption);
  const used = (e: GrantedExemption) => all.some((x) => x.v.exemption !== undefined && (x.v.exemption as { [GRANTED]?: GrantedExemption })[GRANTED] === e);
  return {
    version: 1,
    services,
    exemptions: exemptions.map((e) => ({ ...e, used: used(e) })),
    summary: {
      services: services.length,
      violations: all.length,
      enforce: live.filter((x) => x.v.mode === 'enforce').length,
      warn: live.filter((x) => x.v.mode === 'warn').length,
      audit: live.filter((x) => x.v.mode === 'audit').length,
      exempted: all.length - live.length,
      errors: services.filter((s) => s.error).length,
    },
  };
}

function line(v: PolicyViolation): string {
  return `[${v.validator}] ${v.control} ${v.pointer || '(service)'}: ${v.message}${v.plugin ? ` (set by ${v.plugin})` : ''}`;
}

/** Violations in `warn` mode as warnings for stderr. */
export function policyWarnings(policy: ServicePolicy): Diagnostic[] {
  return policy.violations
    .filter((v) => v.mode === 'warn' && !v.exemption)
    .map((v) => ({
      level: 'warning',
      code: 'POLICY_VIOLATION',
      plugin: v.validator,
      path: `services.${policy.service}`,
      message: `${v.control}: ${v.message}${v.pointer ? ` at ${v.pointer}` : ''}${v.plugin ? ` (set by ${v.plugin})` : ''}`,
    }));
}

/** The error a service fails with when it has enforced violations that no exemption covers. */
export function policyError(policy: ServicePolicy): CtnrError | undefined {
  const enforced = policy.violations.filter((v) => v.mode === 'enforce' && !v.exemption);
  if (enforced.length === 0) return undefined;
  const controls = [...new Set(enforced.map((v) => v.control))];
  return new CtnrError('POLICY_VIOLATION', `service "${policy.service}" violates ${controls.length} enforced control${controls.length === 1 ? '' : 's'} (${controls.join(', ')})`, {
    path: `services.${policy.service}`,
    details: enforced.map(line),
  });
}
