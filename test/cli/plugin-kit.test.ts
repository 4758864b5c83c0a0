import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/shared.js';
import { ctnr, project, requireBuild, SIMPLE, tempRoot } from './hardening-cli.js';

/** A third-party plugin in plain JavaScript, written against the `ctnr/plugin` entry only. */
const PLUGIN = `import { definePlugin, op, z } from 'ctnr/plugin';

export function motdPlugin(options) {
  return definePlugin({
    name: 'acme:motd',
    stage: 'process',
    options,
    optionsSchema: z.strictObject({ text: z.string().min(1), label: z.string().default('com.acme/motd') }),
    apply: ({ spec, options }) => [op.env('MOTD', options.text, spec), op.annotation(options.label, options.text, spec)],
  });
}
`;

const config = (options: string) => `import { motdPlugin } from './plugins/motd.mjs';\n\nexport default { plugins: [motdPlugin(${options})] };\n`;

describe('a plugin written against ctnr/plugin, in a project with ctnr in node_modules', () => {
  const root = tempRoot('plugin-kit');
  const projectWith = (name: string, options: string) => {
    const dir = project(root.dir, name, SIMPLE, { 'plugins/motd.mjs': PLUGIN, 'ctnr.config.mjs': config(options) });
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(REPO, path.join(dir, 'node_modules/ctnr'), 'dir');
    return dir;
  };

  beforeAll(() => requireBuild());
  afterAll(() => root.cleanup());

  it('package.json exports ./plugin with types, both built', () => {
    const exported = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).exports['./plugin'];
    expect(Object.keys(exported)).toEqual(['types', 'default']);
    for (const file of Object.values(exported) as string[]) expect(existsSync(path.join(REPO, file))).toBe(true);
  });

  it('ctnr spec runs it', () => {
    const r = ctnr(projectWith('ok', "{ text: 'hello' }"), ['spec', 'web']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const spec = JSON.parse(r.stdout);
    expect(spec.process.env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'MOTD=hello']);
    expect(spec.annotations).toEqual({ 'com.acme/motd': 'hello' });
  });

  it('a bad option fails the config, naming the option', () => {
    const r = ctnr(projectWith('bad', "{ text: '' }"), ['spec', 'web']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/ctnr\.config\.mjs: cannot load: options\.text: /);
  });
});
