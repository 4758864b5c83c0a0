import { z } from 'zod';
import { shippedPreset } from '../src/engine/reserved.js';
import { pluginOptions } from '../src/engine/options.js';
import { controlsOf } from '../src/policy/controls.js';
import { validatorSchemas } from '../src/policy/validator.js';
import type { Plugin, Preset } from '../src/engine/types.js';
import { restrictedPolicyPlugin } from '../plugins/policy/restricted.js';
import { policyFixCapabilitiesPlugin } from '../plugins/policy/fix-capabilities.js';
import { policyFixNoNewPrivilegesPlugin } from '../plugins/policy/fix-no-new-privileges.js';
import { policyFixReadOnlyRootPlugin } from '../plugins/policy/fix-read-only-root.js';
import { baselinePreset, POLICY_STAGE } from './baseline.js';

/** The preset's options: a policy preset's, and two of its own. Built on first use (importing ctnr builds no zod schema). */
const optionsSchema = () =>
  validatorSchemas().policyOptions.extend({
    /** Mutate toward compliance: drop capabilities to NET_BIND_SERVICE, set no-new-privileges (and a read-only root with readOnlyRoot). */
    fix: z.boolean().optional(),
    /** Also require (and with `fix`, set) a read-only root filesystem. */
    readOnlyRoot: z.boolean().optional(),
  });
export type RestrictedPresetOptions = z.input<ReturnType<typeof optionsSchema>>;

const BASELINE_IDS = new Set(controlsOf('baseline').map((c) => c.id));

/**
 * Kubernetes Pod Security Standards "restricted": the baseline preset (nested, same modes) plus the
 * restricted controls, on top of whatever pipeline the config builds. With `fix: true` it also mutates toward
 * compliance with three small plugins the trace names; what it cannot fix safely (root user, privileged,
 * host paths…) stays a violation. Exemptions go to the validator owning their control, so each shows once
 * in the report.
 */
export function restrictedPreset(options: RestrictedPresetOptions = {}): Preset {
  const opts = pluginOptions('ctnr:preset-restricted', optionsSchema(), options);
  const { fix, readOnlyRoot, mode, controls, exemptions = [], ...rest } = opts;
  const controlOptions = validatorSchemas().controlOptions.parse(rest);
  const shared = { ...(mode ? { mode } : {}), ...(controls ? { controls } : {}), ...controlOptions };
  const baselineExemptions = exemptions.filter((e) => BASELINE_IDS.has(e.control));
  const ownExemptions = exemptions.filter((e) => !BASELINE_IDS.has(e.control));
  const plugins: Plugin[] = [restrictedPolicyPlugin({ ...shared, exemptions: ownExemptions, readOnlyRoot: readOnlyRoot === true })];
  if (fix) {
    const fixOpts = { ...(controls ? { controls } : {}), exemptions: ownExemptions };
    plugins.push(policyFixCapabilitiesPlugin(fixOpts), policyFixNoNewPrivilegesPlugin(fixOpts));
    if (readOnlyRoot) plugins.push(policyFixReadOnlyRootPlugin(fixOpts));
  }
  return shippedPreset({
    name: 'ctnr:preset-restricted',
    presets: [baselinePreset({ ...shared, exemptions: baselineExemptions })],
    stages: [POLICY_STAGE],
    plugins,
  });
}
