import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTROLS } from '../../../src/policy/controls.js';
import { IMAGE_CONTROLS } from '../../../src/policy/image-controls.js';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';
import { runPolicy } from '../policy/helpers.js';
import { REPO } from '../../helpers/shared.js';
import { testPlugin } from '../../../src/plugin-kit/index.js';

/**
 * The complete examples of docs/plugins.md and docs/presets.md are run exactly as written: each block marked
 * `<!-- example: NAME -->` is extracted, its `from 'ctnr'` (and `'ctnr/plugin'`) pointed at this checkout, and imported.
 */
const TMP = mkdtempSync(path.join(os.tmpdir(), 'ctnr-doc-examples-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

async function docExample(doc: string, name: string): Promise<Record<string, any>> {
  const text = readFileSync(path.join(REPO, 'docs', doc), 'utf8');
  const m = new RegExp(`<!-- example: ${name} -->\\n\`\`\`ts\\n([\\s\\S]*?)\\n\`\`\``).exec(text);
  if (!m) throw new Error(`docs/${doc} has no example "${name}"`);
  const code = m[1]!
    .replaceAll(`from 'ctnr'`, `from ${JSON.stringify(path.join(REPO, 'src/index.ts'))}`)
    .replaceAll(`from 'ctnr/plugin'`, `from ${JSON.stringify(path.join(REPO, 'src/plugin-kit/index.ts'))}`);
  const file = path.join(TMP, `${name}.ts`);
  writeFileSync(file, code);
  return import(pathToFileURL(file).href);
}

describe('docs/plugins.md: Writing a plugin', () => {
  it('adds the proxy to the environment, keeps a service\'s own, and honours the opt-out label', async () => {
    const { proxyEnvPlugin } = await docExample('plugins.md', 'proxy-env');
    const plugins = [proxyEnvPlugin({ url: 'http://proxy:3128', noProxy: ['localhost'] })];
    const plain = await runServiceYaml({}, { plugins });
    expect(plain.spec.process!.env).toEqual(expect.arrayContaining(['HTTP_PROXY=http://proxy:3128', 'HTTPS_PROXY=http://proxy:3128', 'NO_PROXY=localhost']));
    expect(plain.blame('/process/env').some((t) => t.plugin === 'acme:proxy-env')).toBe(true);
    const own = await runServiceYaml({ environment: { HTTP_PROXY: 'http://mine:1' } }, { plugins });
    expect(own.spec.process!.env!.filter((e) => e.startsWith('HTTP_PROXY='))).toEqual(['HTTP_PROXY=http://mine:1']);
    const off = await runServiceYaml({ labels: { 'com.acme.proxy': 'off' } }, { plugins });
    expect(off.spec.process!.env!.some((e) => e.includes('PROXY'))).toBe(false);
  });

  it('reports a bad label at its key path and a bad option naming the plugin', async () => {
    const { proxyEnvPlugin } = await docExample('plugins.md', 'proxy-env');
    const err = await serviceError({ labels: { 'com.acme.proxy': 'maybe' } }, { plugins: [proxyEnvPlugin({ url: 'http://proxy:3128' })] });
    expect(err.plugin).toBe('acme:proxy-env');
    expect(err.path).toBe('services.svc.labels["com.acme.proxy"]');
    expect(() => proxyEnvPlugin({ url: 'proxy:3128' })).toThrow(/options.url must be an http\(s\) URL/);
  });
});

describe('docs/plugins.md: the plugin kit', () => {
  it('runs the acme:team table of the testPlugin section', async () => {
    const { teamPlugin } = await docExample('plugins.md', 'team');
    expect((await testPlugin(teamPlugin(), { service: {} })).ops).toEqual([]);
    expect((await testPlugin(teamPlugin(), { service: { labels: { 'com.acme.team': 'shop' } } })).ops).toEqual([
      { op: 'add', path: '/annotations', value: { 'com.acme/team': 'shop' } },
      { op: 'add', path: '/process/env/-', value: 'ACME_TEAM=shop' },
    ]);
    const { errors } = await testPlugin(teamPlugin({ required: true }), { service: {} });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'acme:team', path: 'services.svc.labels["com.acme.team"]' }]);
  });

  it('checks options when the plugin is defined, and works in the default pipeline', async () => {
    const { teamPlugin } = await docExample('plugins.md', 'team');
    expect(() => teamPlugin({ required: 'yes' })).toThrow(expect.objectContaining({ code: 'PLUGIN_OPTIONS', plugin: 'acme:team', message: expect.stringMatching(/^options\.required: /) }));
    const r = await runServiceYaml({ labels: { 'com.acme.team': 'shop', other: 'x' } }, { plugins: [teamPlugin({ default: 'ops' })] });
    expect(r.spec.annotations).toEqual({ 'com.acme.team': 'shop', other: 'x', 'com.acme/team': 'shop' });
    expect(r.spec.process!.env).toContain('ACME_TEAM=shop');
  });
});

describe('docs/presets.md: Writing a preset', () => {
  it('builds on restricted with fix, adds its policy stage validator and swaps the seccomp profile', async () => {
    const { acmePreset, ACME_SECCOMP } = await docExample('presets.md', 'acme-preset');
    const owned = await runPolicy({ user: '1000', labels: { 'com.acme.owner': 'shop' } }, { presets: [acmePreset()] });
    expect(owned.result.spec.linux!.seccomp).toEqual(ACME_SECCOMP);
    expect(owned.result.blame('/linux/seccomp').map((t) => t.presetChain.at(-1))).toEqual(['acme:preset']);
    expect(owned.result.spec.process!.capabilities!.bounding).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(owned.error).toBeUndefined();

    const orphan = await runPolicy({ user: '1000' }, { presets: [acmePreset({ mode: 'warn' })] });
    expect(orphan.error).toBeUndefined();
    expect(orphan.warnings.map((w) => w.message)).toEqual(['owner: label com.acme.owner is missing']);
    const enforced = await runPolicy({}, { presets: [acmePreset()] });
    expect(enforced.error?.message).toMatch(/owner/);
    expect(enforced.error?.message).toMatch(/runAsNonRoot/);
  });

  it('its plan: restricted nested, the policy stage last', async () => {
    const { acmePreset } = await docExample('presets.md', 'acme-preset');
    const { engine } = await runPolicy({ user: '1000' }, { presets: [acmePreset()] });
    expect(engine.plan.stages.at(-1)!.validators.map((v) => v.plugin.name)).toEqual(['ctnr:policy-baseline', 'ctnr:policy-restricted', 'acme:require-owner']);
  });
});

describe('docs/policy.md', () => {
  it('its control tables are the ones in src/policy/controls.ts and image-controls.ts', () => {
    const text = readFileSync(path.join(REPO, 'docs/policy.md'), 'utf8');
    const rows = text.split('\n').filter((l) => /^\| `\w+` \| (baseline|restricted|images) \|/.test(l)).map((l) => l.slice(2, -2).split(' | '));
    const all = [...CONTROLS, ...IMAGE_CONTROLS];
    expect(rows.map((r) => r[0]!.replaceAll('`', ''))).toEqual(all.map((c) => c.id));
    for (const [i, c] of all.entries()) {
      expect(rows[i]![1]).toBe(c.level);
      expect(rows[i]![2]).toBe(c.pss);
      expect(rows[i]![3]!.replaceAll('\\|', '|')).toBe(c.checks);
    }
  });
});
