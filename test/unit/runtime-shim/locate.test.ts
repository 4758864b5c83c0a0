import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configDir, findRuntimeConfig, isRootless, resolveRuntime, which } from '../../../src/runtime-shim/locate.js';
import { readRuntimeName } from '../../../src/runtime-shim/read-config.js';
import { ctnrFailure } from '../../helpers/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-locate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));


describe('where the runtime config lives', () => {
  it.each([
    { name: 'root', env: {}, uid: 0, rootless: false, dir: '/etc/ctnr' },
    { name: 'a user', env: { HOME: '/home/u' }, uid: 1000, rootless: true, dir: '/home/u/.config/ctnr' },
    { name: 'a user with XDG_CONFIG_HOME', env: { HOME: '/home/u', XDG_CONFIG_HOME: '/x' }, uid: 1000, rootless: true, dir: '/x/ctnr' },
    { name: "uid 0 inside rootless podman's user namespace", env: { HOME: '/home/u', _CONTAINERS_ROOTLESS_UID: '1000' }, uid: 0, rootless: true, dir: '/home/u/.config/ctnr' },
  ])('$name', ({ env, uid, rootless, dir: expected }) => {
    expect(isRootless(env, uid)).toBe(rootless);
    expect(configDir(env, uid)).toBe(expected);
  });

  it('none: undefined (pure pass-through)', () => {
    expect(findRuntimeConfig({ XDG_CONFIG_HOME: dir }, 1000)).toBeUndefined();
  });

  it.each(['json', 'yaml', 'yml', 'mjs', 'js', 'ts'])('runtime.config.%s', (ext) => {
    mkdirSync(path.join(dir, 'ctnr'));
    writeFileSync(path.join(dir, 'ctnr', `runtime.config.${ext}`), '');
    expect(findRuntimeConfig({ XDG_CONFIG_HOME: dir }, 1000)).toBe(path.join(dir, 'ctnr', `runtime.config.${ext}`));
  });

  it('two configs in one directory: an error naming both', async () => {
    mkdirSync(path.join(dir, 'ctnr'));
    writeFileSync(path.join(dir, 'ctnr', 'runtime.config.json'), '{}');
    writeFileSync(path.join(dir, 'ctnr', 'runtime.config.ts'), '');
    const err = await ctnrFailure(() => findRuntimeConfig({ XDG_CONFIG_HOME: dir }, 1000));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('runtime.config.json');
    expect(err.message).toContain('runtime.config.ts');
  });

  it('CTNR_RUNTIME_CONFIG wins, and must exist', async () => {
    const file = path.join(dir, 'mine.json');
    writeFileSync(file, '{}');
    expect(findRuntimeConfig({ CTNR_RUNTIME_CONFIG: file }, 0)).toBe(file);
    const err = await ctnrFailure(() => findRuntimeConfig({ CTNR_RUNTIME_CONFIG: path.join(dir, 'gone.json') }, 0));
    expect(err.code).toBe('CONFIG_NOT_FOUND');
  });
});

describe('which runtime', () => {
  const exe = (name: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o755);
    return file;
  };

  it('a name is looked up on PATH, then in the system directories', () => {
    const fake = exe('fake-runtime');
    expect(which('fake-runtime', { PATH: dir })).toBe(fake);
    expect(resolveRuntime('fake-runtime', { env: { PATH: dir } })).toBe(fake);
    expect(which('sh', { PATH: '' })).toMatch(/\/sh$/);
  });

  it('a relative path is relative to the config file', () => {
    const fake = exe('rt');
    expect(resolveRuntime('./rt', { configFile: path.join(dir, 'runtime.config.json') })).toBe(fake);
  });

  it.each([
    { wanted: 'no-such-runtime', message: '"no-such-runtime" is not on PATH' },
    { wanted: '/no/such/runtime', message: 'is not an executable file' },
  ])('$wanted: an error naming the config', async ({ wanted, message }) => {
    const err = await ctnrFailure(() => resolveRuntime(wanted, { configFile: '/etc/ctnr/runtime.config.json', env: { PATH: dir } }));
    expect(err.message).toContain(message);
    expect(err.path).toBe('runtime');
    expect(err.location?.file).toBe('/etc/ctnr/runtime.config.json');
  });

  it('ctnr-runtime itself (through a link) is refused: it would call itself', async () => {
    const self = exe('ctnr-runtime.mjs');
    symlinkSync(self, path.join(dir, 'runc'));
    const err = await ctnrFailure(() => resolveRuntime('runc', { env: { PATH: dir }, self: [self] }));
    expect(err.message).toContain('is ctnr-runtime itself');
  });
});

describe('the runtime key alone (commands that only hand over)', () => {
  it.each([
    { file: 'a.json', text: '{"runtime":"crun","presets":["baseline"]}', expected: 'crun' },
    { file: 'b.json', text: '{"presets":["baseline"]}', expected: undefined },
    { file: 'c.yaml', text: 'runtime: /usr/bin/crun\n', expected: '/usr/bin/crun' },
    { file: 'd.mjs', text: 'export default { runtime: "runc" };', expected: 'runc' },
    { file: 'e.mjs', text: 'export default ({ restrictedPreset }) => ({ presets: [restrictedPreset()], runtime: "crun" });', expected: 'crun' },
  ])('$file', async ({ file, text, expected }) => {
    writeFileSync(path.join(dir, file), text);
    expect(await readRuntimeName(path.join(dir, file))).toBe(expected);
  });

  it.each([
    { file: 'bad.json', text: '{\n  "runtime": "runc",\n}', message: 'not valid JSON', line: 3 },
    { file: 'bad.yaml', text: 'runtime: [runc\n', message: 'not valid YAML', line: undefined },
    { file: 'num.json', text: '{"runtime": 7}', message: 'names the real runtime', line: undefined },
    { file: 'list.json', text: '[]', message: 'must be an object', line: undefined },
    { file: 'throws.mjs', text: 'throw new Error("boom");', message: 'cannot load: boom', line: undefined },
    { file: 'cfg.toml', text: '', message: 'a runtime config is .json, .yaml, .mjs, .js or .ts', line: undefined },
  ])('$file: a located error', async ({ file, text, message, line }) => {
    writeFileSync(path.join(dir, file), text);
    const err = await ctnrFailure(() => readRuntimeName(path.join(dir, file)));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(message);
    expect(err.location?.file).toBe(path.join(dir, file));
    if (line !== undefined) expect(err.location?.line).toBe(line);
  });
});
