import { z } from 'zod';
import { definePlugin } from '../engine/define.js';
import { CtnrError, didYouMean } from '../engine/errors.js';
import type { Plugin } from '../engine/types.js';
import { CONTROL_IDS, type Control, type ControlInput, type ControlOptions, type Finding } from './controls.js';
import { controlMode, policySchemas, type PolicySettings, type PolicySettingsInput } from './settings.js';

/**
 * The options' schemas, built on first use (as policySchemas()): importing ctnr's API (a config's
 * `import { defineConfig } from 'ctnr'`) must not make zod build them.
 */
export function validatorSchemas(): ValidatorSchemas {
  return (schemas ??= buildValidatorSchemas());
}

type ValidatorSchemas = ReturnType<typeof buildValidatorSchemas>;
let schemas: ValidatorSchemas | undefined;

function buildValidatorSchemas() {
  const controlOptions = z.strictObject({
    allowedHostPaths: z.array(z.string().startsWith('/', 'must be an absolute path')).optional(),
    strictCapabilities: z.boolean().optional(),
    engineBindPlugins: z.array(z.string().min(1)).optional(),
    allowedImages: z
      .array(z.string().regex(/^[^/\s]+\/\S+$/, 'is not registry/repository (a glob: registry.internal/*, docker.io/library/*)'))
      .optional(),
    requireDigest: z.boolean().optional(),
  });
  /** Options every policy plugin and preset takes: modes and exemptions, plus the controls' own knobs. */
  const policyOptions = policySchemas().settings.extend(controlOptions.shape);
  return { controlOptions, policyOptions };
}

export type PolicyOptions = z.input<ValidatorSchemas['policyOptions']>;

/** What a policy validator carries in `plugin.options` (the report reads `policy` from the plan). */
export interface PolicyPluginOptions extends ControlOptions {
  policy: PolicySettings;
}

/**
 * Validate policy options once, at the edge: zod shape, then every control id named in `controls` or an
 * exemption must be one this policy knows (with a "did you mean"). A bad option names the plugin.
 */
export function parsePolicyOptions(plugin: string, input: unknown, known: readonly string[] = CONTROL_IDS): PolicyPluginOptions {
  const parsed = validatorSchemas().policyOptions.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `options${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${i.message}`);
    throw new CtnrError('PLUGIN_OPTIONS', issues[0]!, { plugin, details: issues.slice(1) });
  }
  const { mode, controls, exemptions, ...controlOptions } = parsed.data;
  const unknown = (id: string, where: string) => {
    if (!known.includes(id)) {
      throw new CtnrError('PLUGIN_OPTIONS', `${where}: unknown control "${id}"${didYouMean(id, known)} (controls: ${known.join(', ')})`, { plugin });
    }
  };
  for (const id of Object.keys(controls ?? {})) unknown(id, `options.controls.${id}`);
  (exemptions ?? []).forEach((e, i) => unknown(e.control, `options.exemptions[${i}].control`));
  const policy: PolicySettings = {
    ...(mode ? { mode } : {}),
    ...(controls ? { controls } : {}),
    ...(exemptions ? { exemptions } : {}),
  };
  return { policy, ...controlOptions };
}

export interface PolicyValidatorDefinition {
  /** Plugin name, e.g. `ctnr:policy-baseline` or `acme:policy`. */
  name: string;
  /** Default `policy` (the stage the policy presets insert after `hooks`). */
  stage?: string;
  controls: readonly Control[];
  /** Control ids the options may name (default: these controls and ctnr's own). */
  known?: readonly string[];
}

/**
 * A validator plugin that runs `controls` against the final spec. Controls in mode `off` are skipped; the
 * others report violations, which the policy report gives a mode and checks against exemptions.
 */
export function policyValidator(def: PolicyValidatorDefinition, options: PolicyOptions = {}): Plugin<PolicyPluginOptions> {
  const known = def.known ?? [...new Set([...CONTROL_IDS, ...def.controls.map((c) => c.id)])];
  const opts = parsePolicyOptions(def.name, options, known);
  return definePlugin<PolicyPluginOptions>({
    name: def.name,
    stage: def.stage ?? 'policy',
    options: opts,
    // A process started by exec is held to the same controls as the container's own (privileged, capabilities…).
    exec: true,
    validate({ spec, service, env, trace, options: o }) {
      return controlFindings(def.controls, { spec, service, env, trace, options: o });
    },
  });
}

/** What `controls` find, each finding with its control's id; a control in mode `off` is not run. */
export function controlFindings(controls: readonly Control[], input: ControlInput & { options: PolicyPluginOptions }): Array<Finding & { control: string }> {
  const out = [];
  for (const control of controls) {
    if (controlMode(input.options.policy, control.id) === 'off') continue;
    for (const f of control.check(input)) out.push({ control: control.id, ...f });
  }
  return out;
}
