import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { engineFromConfig } from '../../../src/project.js';
import { formatError, isCtnrError } from '../../../src/engine/errors.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'ctnr-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A project directory with a package.json (where discovery stops) and the given files. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(root, 'p-'));
  writeFileSync(path.join(dir, 'package.json'), files['package.json'] ?? '{"type":"module"}');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const disableArgs = (fmt: string) => ({
  json: '{"disable":["ctnr:args"]}',
  yaml: 'disable:\n  - ctnr:args\n',
  mjs: 'export default { disable: ["ctnr:args"] };',
  js: 'export default { disable: ["ctnr:args"] };',
  ts: 'const c: { disable: string[] } = { disable: ["ctnr:args"] };\nexport default c;',
  mts: 'export default { disable: ["ctnr:args"] as string[] };',
})[fmt]!;

describe('config discovery', () => {
  it.each(['json', 'yaml', 'mjs', 'js', 'ts', 'mts'])('finds ctnr.config.%s', async (fmt) => {
    const dir = project({ [`ctnr.config.${fmt}`]: disableArgs(fmt) });
    const loaded = await loadConfig(dir);
    expect(loaded.file).toBe(path.join(dir, `ctnr.config.${fmt}`));
    expect(loaded.label).toBe(`ctnr.config.${fmt}`);
    expect(loaded.config.disable).toEqual(['ctnr:args']);
  });

  it('reads the ctnr key of package.json', async () => {
    const dir = project({ 'package.json': '{"name":"x","ctnr":{"disable":["ctnr:cwd"]}}' });
    const loaded = await loadConfig(dir);
    expect(loaded.label).toBe('package.json#ctnr');
    expect(loaded.config.disable).toEqual(['ctnr:cwd']);
  });

  it('searches upward from the compose file directory to the project root', async () => {
    const dir = project({ 'ctnr.config.json': '{"disable":["ctnr:cwd"]}', 'deploy/web/.keep': '' });
    const loaded = await loadConfig(path.join(dir, 'deploy/web'));
    expect(loaded.file).toBe(path.join(dir, 'ctnr.config.json'));
  });

  it('no config: built-in defaults', async () => {
    const loaded = await loadConfig(project({}));
    expect(loaded).toEqual({ config: {}, label: 'defaults' });
    const engine = await engineFromConfig(loaded, root);
    expect(engine.plan.stages.map((s) => s.name)).toEqual(['process', 'rootless', 'mounts', 'privileged', 'cgroups', 'annotations', 'seccomp', 'network', 'hooks']);
  });

  it('a .ts config can import a relative .ts module with a value (not only types)', async () => {
    const dir = project({
      'lib/names.ts': 'export const DISABLED: string[] = ["ctnr:terminal"];',
      'ctnr.config.ts': 'import { DISABLED } from "./lib/names.js";\nexport default { disable: DISABLED };',
    });
    expect((await loadConfig(dir)).config.disable).toEqual(['ctnr:terminal']);
  });
});

describe('config errors name the file and the key path', () => {
  it.each([
    { files: { 'ctnr.config.json': '{"plugins":[{"name":"x","stage":"process"}]}' }, text: 'ctnr.config.json: plugins[0]: a plugin needs an "apply" or a "validate" function' },
    { files: { 'ctnr.config.json': '{"disabel":["x"]}' }, text: 'ctnr.config.json: (root): Unrecognized key: "disabel"' },
    { files: { 'ctnr.config.yaml': 'images:\n  nginx:\n    rootfs: 3\n' }, text: 'ctnr.config.yaml: images.nginx.rootfs: Invalid input: expected string, received number' },
    { files: { 'ctnr.config.json': '{"presets": [{"name": "p", "stages": [{"name": "x", "afterr": "y"}]}]}' }, text: 'ctnr.config.json: presets[0].stages[0]' },
    { files: { 'ctnr.config.ts': 'export default { oops: ' }, text: 'ctnr.config.ts: cannot load' },
    // A config whose own code fails with a file error is an error too, not a config to skip (cosmiconfig's search
    // skips it, and ctnr ran without the config and its policy).
    {
      files: { 'ctnr.config.mjs': "import { readFileSync } from 'node:fs';\nreadFileSync(new URL('./org-policy.json', import.meta.url));\nexport default { presets: ['restricted'] };\n" },
      text: 'ctnr.config.mjs: cannot load: ENOENT: no such file or directory',
    },
    {
      files: { 'ctnr.config.ts': "throw Object.assign(new Error('the policy server refused us'), { code: 'EACCES' });\nexport default {};\n" },
      text: 'ctnr.config.ts: cannot load: the policy server refused us',
    },
  ])('$text', async ({ files, text }) => {
    const dir = project(files as unknown as Record<string, string>);
    const err = await loadConfig(dir).then(() => undefined, (e) => e);
    expect(isCtnrError(err)).toBe(true);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(formatError(err)).toContain(text);
  });

  it('an unknown preset name says what exists', async () => {
    const dir = project({ 'ctnr.config.json': '{"presets":["defualt"]}' });
    const loaded = await loadConfig(dir);
    const err = await engineFromConfig(loaded, dir).then(() => undefined, (e) => e);
    expect(formatError(err)).toMatch(/ctnr.config.json: presets\[0\]: preset "defualt" is neither a built-in preset \(default/);
  });
});

/**
 * loadConfig walks up by itself and hands only found files to cosmiconfig: what it finds must be what
 * cosmiconfig's own `project` search (the way ctnr searched before) finds, skips included.
 */
describe('config discovery matches cosmiconfig search', () => {
  const PLACES = ['package.json', 'ctnr.config.ts', 'ctnr.config.mts', 'ctnr.config.js', 'ctnr.config.mjs', 'ctnr.config.json', 'ctnr.config.yaml', 'ctnr.config.yml'];
  async function reference(dir: string): Promise<{ file?: string; error?: boolean }> {
    const { cosmiconfig } = await import('cosmiconfig');
    const { importModule } = await import('../../../src/config/load.js');
    const { parse } = await import('yaml');
    const code = async (file: string) => importModule(file, true);
    const explorer = cosmiconfig('ctnr', {
      searchStrategy: 'project',
      searchPlaces: PLACES,
      loaders: { '.ts': code, '.mts': code, '.js': code, '.mjs': code, '.cjs': code, '.yaml': (_f: string, c: string) => parse(c), '.yml': (_f: string, c: string) => parse(c) },
      cache: false,
    });
    try {
      const found = await explorer.search(dir);
      return found ? { file: found.filepath } : {};
    } catch {
      return { error: true };
    }
  }
  async function ours(dir: string): Promise<{ file?: string; error?: boolean }> {
    try {
      const loaded = await loadConfig(dir);
      return loaded.file ? { file: loaded.file } : {};
    } catch (err) {
      if (!isCtnrError(err) || err.code !== 'CONFIG_INVALID') throw err;
      return { error: true };
    }
  }
  /** A tree under a fresh directory; `start` is where the search begins. No package.json unless given. */
  function tree(files: Record<string, string | null>): string {
    const dir = mkdtempSync(path.join(root, 't-'));
    // The walk must not leave the tree: its root is a project root.
    writeFileSync(path.join(dir, 'package.json'), '{}');
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(dir, name);
      if (content === null) mkdirSync(file, { recursive: true });
      else {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, content);
      }
    }
    return dir;
  }
  const json = '{"disable":["ctnr:cwd"]}';

  it.each<{ what: string; files: Record<string, string | null>; start: string }>([
    { what: 'package.json without a ctnr key, ctnr.config.yaml beside it', files: { 'a/package.json': '{"name":"a"}', 'a/ctnr.config.yaml': 'disable: [ctnr:cwd]\n' }, start: 'a' },
    { what: "package.json's ctnr key before ctnr.config.ts", files: { 'a/package.json': `{"ctnr":${json}}`, 'a/ctnr.config.json': json }, start: 'a' },
    { what: 'a null ctnr key is no config', files: { 'a/package.json': '{"ctnr":null}', 'a/ctnr.config.json': json }, start: 'a' },
    { what: 'an empty file is skipped', files: { 'a/ctnr.config.mjs': '  \n', 'a/ctnr.config.json': json }, start: 'a' },
    { what: 'a config that loads as null is skipped', files: { 'a/ctnr.config.yaml': '~\n', 'a/ctnr.config.yml': 'disable: [ctnr:cwd]\n' }, start: 'a' },
    { what: 'a directory named like a config is skipped', files: { 'a/ctnr.config.ts': null, 'a/ctnr.config.json': json }, start: 'a' },
    { what: 'upward through directories without a package file', files: { 'ctnr.config.json': json, 'a/b/c/.keep': '' }, start: 'a/b/c' },
    { what: 'an empty config below, the real one above', files: { 'ctnr.config.json': json, 'a/ctnr.config.json': '', 'a/b/.keep': '' }, start: 'a/b' },
    { what: 'a package.json stops the walk', files: { 'ctnr.config.json': json, 'a/package.json': '{}', 'a/b/.keep': '' }, start: 'a/b' },
    { what: 'a package.yaml stops the walk', files: { 'ctnr.config.json': json, 'a/package.yaml': 'name: a\n', 'a/b/.keep': '' }, start: 'a/b' },
    { what: 'a malformed package.json fails', files: { 'a/package.json': '{"name":', 'a/ctnr.config.json': json }, start: 'a' },
    { what: 'a malformed config fails', files: { 'a/ctnr.config.json': '{"disable":' }, start: 'a' },
    { what: 'nothing found', files: { 'a/b/.keep': '' }, start: 'a/b' },
  ])('$what', async ({ files, start }) => {
    const dir = path.join(tree(files), start);
    expect(await ours(dir)).toEqual(await reference(dir));
  });
});
