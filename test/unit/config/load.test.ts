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
