import { z } from 'zod';
import { exemptionMatches, type ExemptionSubject } from './subject.js';

/**
 * How a policy treats a violation of one control:
 * - `enforce`: the service fails (POLICY_VIOLATION, every violation listed, exit 1); no spec, no bundle;
 * - `warn`: a warning on stderr, the spec is still produced;
 * - `audit`: silent, recorded in the policy report (`ctnr spec --report FILE`, `ctnr check --json`);
 * - `off` (per control only): the control is not evaluated at all.
 */
export const POLICY_MODES = ['enforce', 'warn', 'audit'] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];
export type ControlMode = PolicyMode | 'off';

/** A validator that declares no policy settings vetoes: a validator exists to stop a bad spec. */
export const DEFAULT_MODE: PolicyMode = 'enforce';

/**
 * The policy's schemas (an exemption, the settings a validator carries), built on first use: most runs carry no
 * policy settings, and building them at import cost every `ctnr spec` a few milliseconds for nothing.
 */
export function policySchemas(): PolicySchemas {
  return (schemas ??= buildPolicySchemas());
}

type PolicySchemas = ReturnType<typeof buildPolicySchemas>;
let schemas: PolicySchemas | undefined;

function buildPolicySchemas() {
  const exemption = z
    .strictObject({
      /** Service name as written in the compose file (spec mode: the container's name, else its id). */
      service: z.string().min(1, 'an exemption names a service').optional(),
      /** Kubernetes namespace of the pod (spec mode, from the CRI's annotations). */
      namespace: z.string().min(1).optional(),
      /** Image reference; `*` matches any run of characters (`registry.internal/*`). */
      image: z.string().min(1).optional(),
      /** Annotations the spec must carry with exactly these values. */
      annotations: z.record(z.string(), z.string()).optional(),
      /** Control id (`runAsNonRoot`, `capabilities`, …) as the validator reports it. */
      control: z.string().min(1, 'an exemption names a control'),
      /** Why this service may break the rule: required, printed in every report. */
      reason: z.string({ message: 'an exemption needs a reason' }).trim().min(1, 'an exemption needs a reason'),
      /** Only violations reported by this validator (default: any validator reporting that control). */
      validator: z.string().min(1).optional(),
    })
    .refine((e) => e.service !== undefined || e.namespace !== undefined || e.image !== undefined || (e.annotations !== undefined && Object.keys(e.annotations).length > 0), {
      message: 'an exemption names a service, a namespace, an image or annotations',
      path: ['service'],
    });
  const settings = z.strictObject({
    /** Mode of every control without its own entry in `controls` (default `enforce`). */
    mode: z.enum(POLICY_MODES).optional(),
    /** Per-control mode, or `off`. */
    controls: z.record(z.string(), z.enum([...POLICY_MODES, 'off'])).optional(),
    exemptions: z.array(exemption).optional(),
  });
  return { exemption, settings };
}

export type Exemption = z.output<PolicySchemas['exemption']>;
export type PolicySettings = z.output<PolicySchemas['settings']>;
export type PolicySettingsInput = z.input<PolicySchemas['settings']>;

/** The mode a control runs in under `settings`. */
export function controlMode(settings: PolicySettings | undefined, control: string): ControlMode {
  return settings?.controls?.[control] ?? settings?.mode ?? DEFAULT_MODE;
}

/**
 * The policy settings a validator plugin carries: by convention `plugin.options.policy`. The report reads
 * them from the plan, so a third-party validator opts into modes and exemptions by putting them there.
 */
export function policyOf(options: unknown): PolicySettings | undefined {
  if (!options || typeof options !== 'object') return undefined;
  const p = (options as { policy?: unknown }).policy;
  if (!p || typeof p !== 'object') return undefined;
  const parsed = policySchemas().settings.safeParse(p);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Is the violation of `control` (reported by `validator`) by `subject` — a service name, or a container with its
 * namespace, image and annotations (src/policy/subject.ts) — covered by one of `exemptions`?
 */
export function findExemption<E extends Exemption>(exemptions: readonly E[], subject: string | ExemptionSubject, control: string, validator?: string): E | undefined {
  const s = typeof subject === 'string' ? { service: subject } : subject;
  return exemptions.find((e) => e.control === control && (e.validator === undefined || e.validator === validator) && exemptionMatches(e, s));
}
