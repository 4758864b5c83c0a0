import { CtnrError } from '../engine/errors.js';
import type { Plan } from '../engine/plan.js';
import type { Result } from '../engine/engine.js';
import type { Env, Service } from '../engine/types.js';
import type { ReadonlySpec } from '../spec/types.js';
import { evaluateService, grantedExemptions, policyError } from './evaluate.js';
import { IMAGE_CONTROLS, IMAGES_VALIDATOR } from './image-controls.js';
import type { Exemption } from './settings.js';
import { serviceSubject } from './subject.js';
import { controlFindings, type PolicyPluginOptions } from './validator.js';

/** No spec exists before the image is there: from a compose file the image controls read the service alone. */
const NOTHING_YET: ReadonlySpec = Object.freeze({ ociVersion: '' });

/** Throws when the service's image must not be pulled; `keys` are the service's `image:` and `build:`. */
export type PullGate = (service: string, keys: { image?: unknown; build?: unknown }) => void;

/**
 * The image controls judged before an image is pulled: a service whose image the `images` preset refuses (an
 * enforced control, no exemption) fails before its registry is contacted, instead of being pulled and then refused.
 * The controls read nothing but the service's `image:` and `build:`, so they can be judged this early; the same
 * modes and exemptions (the validators' and the config's `policy.exemptions`) apply as when the pipeline judges
 * them. Undefined when the plan has no such validator.
 */
export function imagePullGate(plan: Plan, config: { exemptions?: readonly Exemption[]; label?: string }, env: Readonly<Env>): PullGate | undefined {
  const planned = plan.stages.flatMap((s) => s.validators).filter((v) => v.plugin.name === IMAGES_VALIDATOR);
  if (planned.length === 0) return undefined;
  const exemptions = grantedExemptions(plan, config);
  return (service, keys) => {
    const violations: Result['violations'] = [];
    for (const v of planned) {
      const options = v.plugin.options as PolicyPluginOptions;
      for (const f of controlFindings(IMAGE_CONTROLS, { spec: NOTHING_YET, service: keys as Readonly<Service>, env, trace: [], options })) {
        violations.push({ ...f, validator: v.plugin.name, stage: 'policy', presetChain: v.presetChain });
      }
    }
    if (violations.length === 0) return;
    const policy = evaluateService(plan, { serviceName: service, violations }, exemptions, serviceSubject(service, keys.image, undefined));
    const refused = policyError(policy);
    if (!refused) return;
    // The reasons in the message itself: `ctnr check` shows a service that failed by its message alone.
    const reasons = policy.violations.filter((v) => v.mode === 'enforce' && !v.exemption).map((v) => `${v.control}: ${v.message}`);
    throw new CtnrError(refused.code, `service "${service}" is refused before its image is pulled: ${reasons.join('; ')}`, {
      path: `services.${service}.image`,
      ...(refused.details ? { details: refused.details } : {}),
    });
  };
}
