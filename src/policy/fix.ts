import { z } from 'zod';
import { controlMode, findExemption, policySchemas, POLICY_MODES, type PolicySettings } from './settings.js';
import type { ExemptionSubject } from './subject.js';

/**
 * Options every fix plugin takes: the policy's modes and exemptions, so a fix never overrides an exemption. Built
 * on first use (as policySchemas()).
 */
export function fixOptionsSchema(): FixOptionsSchema {
  return (schema ??= buildFixOptionsSchema());
}

const buildFixOptionsSchema = () =>
  z.strictObject({
    controls: z.record(z.string(), z.enum([...POLICY_MODES, 'off'])).optional(),
    exemptions: z.array(policySchemas().exemption).optional(),
  });
type FixOptionsSchema = ReturnType<typeof buildFixOptionsSchema>;
let schema: FixOptionsSchema | undefined;

export type FixOptions = z.input<FixOptionsSchema>;

/**
 * A fix toward `control` applies unless the control is off or the subject (a service name, or a container with
 * its namespace, image and annotations) is exempt from it.
 */
export function fixApplies(settings: Pick<PolicySettings, 'controls' | 'exemptions'>, subject: string | ExemptionSubject, control: string): boolean {
  return controlMode(settings, control) !== 'off' && !findExemption(settings.exemptions ?? [], subject, control);
}
