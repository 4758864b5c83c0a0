import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadComposeFile } from '../../../src/compose/load.js';
import { formatError } from '../../../src/engine/errors.js';
import { composeError } from '../../helpers/engine.js';
import { composeDir, failure, load } from './compose-helpers.js';

/**
 * Files a compose file points at: a bad one is a located error, never a crash (issue 16 item 7), and errors
 * never quote what is in them (issue 16 "Bounds": they may be secrets).
 */
const tmp = composeDir('files');
const SECRET = 'hunter2-SECRET';
const SHADOW = `root:$6$${SECRET}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n`;
const unreadable = '/proc/self/mem'; // a regular file that read(2) refuses with EIO, even for root

describe('env_file and label_file that cannot be read', () => {
  it.each([
    ['env_file: ""', 'env_file: ""', /services\.web\.env_file: is empty \(expected the path of a file\)$/],
    ['env_file: [""]', 'env_file: [""]', /services\.web\.env_file\[0\]: is empty \(expected the path of a file\)$/],
    ['env_file naming a directory', 'env_file: ./sub', /services\.web\.env_file\[0\]: env file .*\/sub is a directory, not a file$/],
    ['env_file naming a directory, required: false', 'env_file: [{path: ./sub, required: false}]', /services\.web\.env_file\[0\]: env file .*\/sub is a directory, not a file$/],
    ['env_file unreadable', `env_file: ${unreadable}`, /services\.web\.env_file\[0\]: cannot read env file \/proc\/self\/mem: input\/output error \(EIO\)$/],
    ['label_file: ""', 'label_file: ""', /services\.web\.label_file: is empty \(expected the path of a file\)$/],
    ['label_file naming a directory', 'label_file: ./sub', /services\.web\.label_file\[0\]: label file .*\/sub is a directory, not a file$/],
    ['label_file unreadable', `label_file: [${unreadable}]`, /services\.web\.label_file\[0\]: cannot read label file \/proc\/self\/mem: input\/output error \(EIO\)$/],
    ['label_file missing', 'label_file: ./nope', /services\.web\.label_file\[0\]: label file .*\/nope not found$/],
  ])('%s: a located SERVICE_INVALID', (_, yaml, message) => {
    const dir = tmp.write(`services:\n  web:\n    image: x\n    command: ["true"]\n    ${yaml}\n`);
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    const e = failure(() => load(dir, 'web'));
    expect(e.code).toBe('SERVICE_INVALID');
    expect(e.text).toMatch(/^compose\.yaml:5:\d+ /);
    expect(e.text).toMatch(message);
  });

  it('an optional env_file that is missing is still skipped', () => {
    const dir = tmp.write('services:\n  web:\n    image: x\n    env_file: [{path: ./nope, required: false}]\n');
    expect(() => load(dir, 'web')).not.toThrow();
  });
});

describe('error messages do not quote file contents', () => {
  it.each([
    ['a malformed env_file line', 'env_file: ./bad.env', `PASSWORD ${SECRET}\n`, /bad\.env:1: not a KEY=VALUE line/],
    ['a bad interpolation in an env_file value', 'env_file: ./bad.env', `TOKEN=abc\${${SECRET}\n`, /bad\.env:1: TOKEN: invalid interpolation in the value/],
    ['a malformed label_file line', 'label_file: ./bad.env', `${SECRET} x\n`, /bad\.env:1: not a KEY=VALUE line/],
    ['an extends file that is not a compose file', 'extends: {file: ./bad.env, service: x}', SHADOW, /bad\.env:1:1 not a compose file: its first key is not a compose key/],
  ])('%s', (_, yaml, content, message) => {
    const dir = tmp.write(`services:\n  web:\n    image: x\n    command: ["true"]\n    ${yaml}\n`, { 'bad.env': content });
    const e = failure(() => load(dir, 'web'));
    expect(e.text).toMatch(message);
    expect(e.text).not.toContain(SECRET);
  });

  it('an include that is not a compose file', () => {
    const dir = tmp.write('include: [./shadow]\nservices: {}\n', { shadow: SHADOW });
    const e = failure(() => load(dir));
    expect(e.text).toMatch(/shadow:1:1 not a compose file/);
    expect(e.text).not.toContain(SECRET);
  });

  it('a malformed line of the project .env file', () => {
    const dir = tmp.write('services: {}\n', { '.env': `API_KEY ${SECRET}\n` });
    const e = failure(() => loadComposeFile(undefined, { cwd: dir, environment: {} }));
    expect(e.text).toBe('.env:1:1 not a KEY=VALUE line (its text is not shown: env files hold secrets)');
  });

  it.each([
    ['a shadow-like file', SHADOW, /seccomp profile \.\/profile is not valid JSON$/],
    ['JSON broken after a secret', `{"defaultAction": "${SECRET}" x}`, /seccomp profile \.\/profile is not valid JSON \(line 1, column \d+\)$/],
  ])('seccomp=FILE with %s', async (_, content, message) => {
    const dir = path.join(tmp.root, `seccomp-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'profile'), content);
    const e = await composeError({ security_opt: ['seccomp=./profile'] }, {}, { dir });
    const text = formatError(e);
    expect(text.split('\n')[0]).toMatch(message);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('root:');
  });
});
