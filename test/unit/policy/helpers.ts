import { createEngine } from '../../../src/create-engine.js';
import { parseCompose } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';
import { buildReport, evaluateService, grantedExemptions, policyError, policyWarnings } from '../../../src/policy/evaluate.js';
import type { Exemption } from '../../../src/policy/settings.js';
import { serviceSubject } from '../../../src/policy/subject.js';
import type { Env, Plugin, Preset } from '../../../src/engine/types.js';
import { defaultPreset } from '../../../presets/default.js';
import { expectValidSpec } from '../../helpers/schema.js';
import { TEST_ENV } from '../../helpers/engine.js';

export interface PolicyRunOptions {
  /** Presets on top of the default one (the way `--preset` adds them). */
  presets?: Preset[];
  plugins?: Plugin[];
  env?: Partial<Env>;
  /** Config-level `policy.exemptions`. */
  exemptions?: Exemption[];
  dir?: string;
  name?: string;
}

/**
 * One service (a compose fragment) through default + the given presets in strict mode, then through the
 * policy evaluation the CLI uses: violations with modes and exemptions, the enforce error, the warnings and
 * the report.
 */
export async function runPolicy(service: Record<string, unknown>, options: PolicyRunOptions = {}) {
  const name = options.name ?? 'svc';
  const dir = options.dir ?? '/tmp/ctnr-test-project';
  const doc = { services: { [name]: { image: 'busybox', command: ['true'], ...service } } };
  const project = parseCompose(JSON.stringify(doc), `${dir}/compose.yaml`, 'compose.yaml');
  const { input } = selectService(project, name);
  const engine = createEngine({ name: 'ctnr.config.ts', presets: [defaultPreset(), ...(options.presets ?? [])], plugins: options.plugins ?? [], strict: true });
  const result = await engine.run(input, { ...TEST_ENV, ...options.env });
  expectValidSpec(result.spec);
  const exemptions = grantedExemptions(engine.plan, { exemptions: options.exemptions ?? [], label: 'ctnr.config.ts' });
  // Matched as the CLI matches them: the service, its image and the spec's annotations.
  const policy = evaluateService(engine.plan, result, exemptions, serviceSubject(name, project.services[name]?.image, result.spec.annotations));
  return { engine, result, policy, error: policyError(policy), warnings: policyWarnings(policy), report: buildReport([policy], exemptions) };
}

/** A mutator that sets one value in the spec: stands in for an organisation's plugin in a table row. */
export function setPlugin(name: string, stage: string, ptr: string, value: unknown): Plugin {
  return {
    name,
    stage,
    enforce: 'post',
    apply: ({ spec }) => {
      const parts = ptr.split('/').slice(1);
      let node: any = spec;
      for (const p of parts.slice(0, -1)) node = node?.[p];
      return [{ op: node && Object.hasOwn(node, parts[parts.length - 1]!) ? 'replace' : 'add', path: ptr, value }];
    },
  };
}
