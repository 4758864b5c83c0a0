import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctnr, project, requireBuild, SIMPLE, tempRoot } from './hardening-cli.js';

/** README's plugin and config, verbatim in substance: `.ts`, `import … from 'ctnr'`, a relative `.ts` plugin. */
const MOTD_TS = `import { definePlugin } from 'ctnr';

export function motdPlugin(options: { text: string }) {
  return definePlugin({
    name: 'acme:motd',
    stage: 'process',
    after: ['ctnr:env'],
    options,
    apply: ({ options }) => [{ op: 'add', path: '/process/env/-', value: \`MOTD=\${options.text}\` }],
  });
}
`;
const CONFIG_TS = `import { defineConfig } from 'ctnr';
import { motdPlugin } from './plugins/motd.js';

export default defineConfig({
  presets: ['default'],
  plugins: [motdPlugin({ text: 'hello from acme' })],
});
`;
/** A plugin that fails the service with ctnr's own error type, taken from `ctnr/plugin`. */
const REFUSE_MTS = `import { CtnrError } from 'ctnr/plugin';

export default {
  plugins: [{
    name: 'acme:refuse', stage: 'process',
    apply() { throw new CtnrError('SERVICE_INVALID', 'acme refuses this service', { path: 'command' }); },
  }],
};
`;

// No node_modules in these projects: 'ctnr' and 'ctnr/plugin' resolve to the running CLI's own modules.
describe("a config's `import 'ctnr'` gets the running ctnr", () => {
  const root = tempRoot('host-modules');
  beforeAll(() => requireBuild());
  afterAll(() => root.cleanup());

  it("README's .ts config and .ts plugin work without ctnr in node_modules", () => {
    const dir = project(root.dir, 'readme', SIMPLE, { 'ctnr.config.ts': CONFIG_TS, 'plugins/motd.ts': MOTD_TS });
    const spec = ctnr(dir, ['spec', 'web']);
    expect(spec.stderr).toBe('');
    expect(JSON.parse(spec.stdout).process.env).toContain('MOTD=hello from acme');
    const explain = ctnr(dir, ['explain', 'web', '/process/env']);
    expect(explain.stdout).toContain('by acme:motd [process; ctnr.config.ts]');
  });

  it("a CtnrError from 'ctnr/plugin' is the CLI's own: reported with its code and path, not as a crash", () => {
    const dir = project(root.dir, 'refuse', SIMPLE, { 'ctnr.config.mts': REFUSE_MTS });
    const r = ctnr(dir, ['spec', 'web']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: compose.yaml:3:5 [acme:refuse] services.web.command: acme refuses this service\n    stage process · from ctnr.config.mts\n');
  });
});
