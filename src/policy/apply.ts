import type { Result } from '../engine/engine.js';
import type { LoadedProject } from '../project.js';
import type { Diagnostic } from '../engine/types.js';
import { buildReport, evaluateService, grantedExemptions, policyError, policyWarnings, type GrantedExemption, type PolicyReport, type ServicePolicy } from './evaluate.js';
import type { CtnrError } from '../engine/errors.js';
import { serviceSubject } from './subject.js';

/** Exemptions of a loaded project: its validators' options and the config's `policy.exemptions`. */
export function projectExemptions(project: Pick<LoadedProject, 'engine' | 'config'>): GrantedExemption[] {
  return grantedExemptions(project.engine.plan, { exemptions: project.config.config.policy?.exemptions ?? [], label: project.config.label });
}

export interface PolicyOutcome {
  policy: ServicePolicy;
  /** `warn` violations, for stderr. */
  warnings: Diagnostic[];
  /** Set when enforced violations remain: the caller throws it (after writing a report, if asked). */
  error?: CtnrError;
  /** The one-service report (`ctnr spec --report`). */
  report: PolicyReport;
}

/**
 * What the policy says about one generated service. Commands that produce a spec or a bundle call this and
 * throw `error` when set; `ctnr check` builds its own report over every service.
 */
export function servicePolicy(project: Pick<LoadedProject, 'engine' | 'config'> & Partial<Pick<LoadedProject, 'compose'>>, result: Pick<Result, 'serviceName' | 'violations'> & Partial<Pick<Result, 'spec'>>): PolicyOutcome {
  const exemptions = projectExemptions(project);
  // Exemptions may name the service, its image or an annotation of the spec (src/policy/subject.ts).
  const subject = serviceSubject(result.serviceName, project.compose?.services[result.serviceName]?.image, result.spec?.annotations);
  const policy = evaluateService(project.engine.plan, result, exemptions, subject);
  const error = policyError(policy);
  return { policy, warnings: policyWarnings(policy), ...(error ? { error } : {}), report: buildReport([policy], exemptions) };
}
