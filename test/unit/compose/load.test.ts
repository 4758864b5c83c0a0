import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadComposeFile, parseCompose, type LoadOptions } from '../../../src/compose/load.js';
import { activeServiceNames, selectService } from '../../../src/compose/select.js';
import { interpolate, parseEnvFile } from '../../../src/compose/interpolate.js';
import { formatError } from '../../../src/engine/errors.js';
import { thrownCtnrError } from '../../helpers/errors.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/compose');

function parse(yaml: string, options: LoadOptions = {}) {
  return parseCompose(yaml, '/proj/compose.yaml', 'compose.yaml', { environment: {}, ...options });
}


describe('interpolation', () => {
  const vars: Record<string, string> = { SET: 'value', EMPTY: '' };
  const lookup = (n: string) => vars[n];
  it.each([
    { input: 'plain', expected: 'plain' },
    { input: '$SET', expected: 'value' },
    { input: '${SET}', expected: 'value' },
    { input: 'a-${SET}-b', expected: 'a-value-b' },
    { input: '$SET_suffix', expected: '' },
    { input: '${SET}_suffix', expected: 'value_suffix' },
    { input: '${UNSET}', expected: '' },
    { input: '${UNSET:-default}', expected: 'default' },
    { input: '${EMPTY:-default}', expected: 'default' },
    { input: '${UNSET-default}', expected: 'default' },
    { input: '${EMPTY-default}', expected: '' },
    { input: '${SET:-default}', expected: 'value' },
    { input: '${SET:+alt}', expected: 'alt' },
    { input: '${EMPTY:+alt}', expected: '' },
    { input: '${EMPTY+alt}', expected: 'alt' },
    { input: '${UNSET:-${SET}}', expected: 'value' },
    { input: '${UNSET:-${ALSO_UNSET:-deep}}', expected: 'deep' },
    { input: '$$SET', expected: '$SET' },
    { input: '$${SET}', expected: '${SET}' },
    { input: 'cost: $5', expected: 'cost: $5' },
    { input: '$', expected: '$' },
  ])('$input → $expected', ({ input, expected }) => {
    expect(interpolate(input, lookup)).toBe(expected);
  });

  it.each([
    { input: '${UNSET:?must be set}', message: 'required variable UNSET is missing a value: must be set' },
    { input: '${EMPTY:?must be set}', message: 'required variable EMPTY is missing a value: must be set' },
    { input: '${UNSET?}', message: 'required variable UNSET is missing a value' },
    { input: '${SET', message: 'invalid interpolation format in "${SET": unclosed "${"' },
    { input: '${1X}', message: 'invalid interpolation format in "${1X}": "${1X}" does not start with a variable name' },
    { input: '${SET:x}', message: 'invalid interpolation format in "${SET:x}": unknown operator in "${SET:x}"' },
  ])('$input fails: $message', ({ input, message }) => {
    expect(() => interpolate(input, lookup)).toThrow(message);
  });

  it('${EMPTY?err} is fine: the variable is set', () => {
    expect(interpolate('${EMPTY?err}', lookup)).toBe('');
  });

  it('interpolates values, not keys, from the process environment; x- templates are left alone', () => {
    const p = parse('x-tpl: {v: "${NOPE:?unused}"}\nservices:\n  s:\n    image: "img:${TAG}"\n    labels: {"$KEY": "$VAL"}\n', { environment: { TAG: '1', VAL: 'v' } });
    expect(selectService(p, 's').input.service).toMatchObject({ image: 'img:1', labels: { $KEY: 'v' } });
  });

  it('a missing required variable is a located error naming it', () => {
    const err = thrownCtnrError(() => parse('services:\n  s:\n    image: x\n    environment:\n      DB: ${DB_URL:?set DB_URL}\n'));
    expect(formatError(err)).toBe('compose.yaml:5:7 services.s.environment.DB: required variable DB_URL is missing a value: set DB_URL');
  });

  it('.env beside the compose file, process environment wins, --env-file replaces it', () => {
    const file = path.join(FIXTURES, 'env/compose.yaml');
    const plain = selectService(loadComposeFile(file, { environment: { IMAGE: 'alpine' } }), 'app').input.service;
    expect(plain.image).toBe('alpine:1.2');
    expect(plain.environment).toEqual([
      ['ONE', '1'],
      ['SINGLE', 'no ${EXPANSION} here'],
      ['INLINE', 'value'],
      ['OVERRIDE', 'from-compose'],
      ['PRICE', '$5'],
      ['GREETING', 'hello from dotenv'],
    ]);
    const fromProcess = selectService(loadComposeFile(file, { environment: { GREETING: 'from process', TAG: '' } }), 'app').input.service;
    expect(fromProcess.image).toBe('busybox:');
    expect(fromProcess.environment).toContainEqual(['GREETING', 'from process']);
    const other = selectService(loadComposeFile(file, { environment: {}, envFile: path.join(FIXTURES, 'env/other.env') }), 'app').input.service;
    expect(other.image).toBe('busybox:latest');
    expect(other.environment).toContainEqual(['GREETING', 'hello from other']);
  });

  it('the missing variable error from a file names the file and line', () => {
    // As in compose, the whole file is interpolated: a missing required variable fails every service of it.
    const err = thrownCtnrError(() => loadComposeFile(path.join(FIXTURES, 'env/strict.yaml'), { environment: {}, cwd: FIXTURES }));
    expect(formatError(err)).toBe('env/strict.yaml:3:5 services.strict.image: required variable REQUIRED_IMAGE is missing a value: set REQUIRED_IMAGE to the image to run');
  });

  it('a required env_file that is missing is a located error; required: false skips it', () => {
    const p = loadComposeFile(path.join(FIXTURES, 'env/compose.yaml'), { environment: {}, cwd: FIXTURES });
    const err = thrownCtnrError(() => selectService(p, 'missing-env-file'));
    expect(formatError(err)).toBe(
      `env/compose.yaml:14:5 services.missing-env-file.env_file[0]: env file ${path.join(FIXTURES, 'env/nope.env')} not found (set "required: false" to make it optional)`,
    );
  });
});

describe('.env files', () => {
  it('parses comments, export, quotes, inline comments, references and bare keys', () => {
    const text = '# c\nexport A=1\nB="x\\ny ${A}"\nC=\'${A}\'\nD=v # note\nE=${A}${A}\nFROM_OUTER\nNOT_SET\n\nF="multi\nline"\n';
    expect(parseEnvFile(text, (n) => (n === 'FROM_OUTER' ? 'o' : undefined)).entries).toEqual([
      ['A', '1'],
      ['B', 'x\ny 1'],
      ['C', '${A}'],
      ['D', 'v'],
      ['E', '11'],
      ['FROM_OUTER', 'o'],
      ['F', 'multi\nline'],
    ]);
  });

  it('reports the line of a bad entry', () => {
    expect(parseEnvFile('OK=1\nBAD KEY=2\n', () => undefined).errors).toEqual([{ line: 2, message: 'not a KEY=VALUE line (its text is not shown: env files hold secrets)' }]);
  });
});

describe('YAML anchors, aliases and merge keys', () => {
  const yaml = [
    'x-defaults: &defaults',
    '  image: base:1',
    '  environment: &env',
    '    A: "1"',
    '  restart: always',
    'services:',
    '  one:',
    '    <<: *defaults',
    '    restart: "no"',
    '  two:',
    '    <<: *defaults',
    '    environment:',
    '      <<: *env',
    '      B: "$${literal}"',
    '    ports: [ "x" ]',
  ].join('\n');

  it('merge keys bring in the anchor; explicit keys win', () => {
    const p = parse(yaml);
    expect(selectService(p, 'one').input.service).toMatchObject({ image: 'base:1', restart: 'no', environment: [['A', '1']] });
  });

  it('aliased maps are interpolated once per use ($$ stays a single $)', () => {
    const p = parse(yaml.replace('    ports: [ "x" ]', ''));
    expect(selectService(p, 'two').input.service.environment).toEqual([['A', '1'], ['B', '${literal}']]);
  });

  it('errors in a service locate the service line even for merged keys', () => {
    const err = thrownCtnrError(() => selectService(parse(yaml), 'two'));
    expect(formatError(err)).toBe('compose.yaml:15:14 services.two.ports[0]: "x" is not a port mapping (expected [IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO])');
  });

  it('x- keys are allowed at the top level, in services and in sub-objects; a service\'s own reach plugins as extensions', () => {
    const p = parse('x-top: 1\nservices:\n  s:\n    x-meta: {a: 1}\n    image: x\n    healthcheck: {test: "true", x-note: y}\n  x-not-a-service: {}\n');
    expect(Object.keys(p.services)).toEqual(['s']);
    expect(selectService(p, 's').input.service).toEqual({ image: 'x', healthcheck: { test: ['CMD-SHELL', 'true'] }, extensions: { 'x-meta': { a: 1 } } });
  });
});

describe('extends', () => {
  const file = path.join(FIXTURES, 'extends/compose.yaml');
  const dir = path.dirname(file);

  it('same file: maps merge by key, mounts by target, ports append, scalars override', () => {
    const s = selectService(loadComposeFile(file, { environment: {} }), 'web').input.service;
    expect(s).toMatchObject({
      image: 'busybox',
      environment: [['A', 'base'], ['B', 'web'], ['C', 'web']],
      volumes: [{ type: 'bind', source: path.join(dir, 'web-data'), target: '/data' }],
      labels: { tier: 'base' },
      command: ['web'],
    });
    expect(s.ports!.map((p) => `${p.published}:${p.target}`)).toEqual(['8080:80', '8443:443']);
    expect(s.extends).toBeUndefined();
  });

  it('file: paths of the extended service resolve against ITS file', () => {
    const s = selectService(loadComposeFile(file, { environment: {} }), 'remote').input.service;
    expect(s).toMatchObject({
      image: 'app:1',
      user: '1000',
      command: ['app', '--serve'],
      volumes: [{ type: 'bind', source: path.join(dir, 'common/conf'), target: '/conf', read_only: true }],
      environment: [['FROM_FILE', 'common']],
    });
  });

  it('a cycle is a located error', () => {
    const err = thrownCtnrError(() => selectService(loadComposeFile(file, { environment: {}, cwd: FIXTURES }), 'loop1'));
    expect(formatError(err)).toBe('extends/compose.yaml:29:5 services.loop1.extends: extends cycle: loop1 → loop2 → loop1');
  });

  it('an unknown base service has a did-you-mean', () => {
    const err = thrownCtnrError(() => selectService(parse('services:\n  base: {image: x}\n  s:\n    extends: bse\n'), 's'));
    expect(formatError(err)).toBe('compose.yaml:4:5 services.s.extends: extends: no service "bse" in compose.yaml (did you mean "base"?)');
  });
});

describe('profiles', () => {
  const file = path.join(FIXTURES, 'profiles/compose.yaml');
  it.each([
    { profiles: [], active: ['app'] },
    { profiles: ['debug'], active: ['app', 'debug', 'tools'] },
    { profiles: ['tools'], active: ['app', 'tools'] },
    { profiles: ['*'], active: ['app', 'debug', 'tools'] },
  ])('--profile $profiles → $active', ({ profiles, active }) => {
    expect(activeServiceNames(loadComposeFile(file, { environment: {}, profiles }))).toEqual(active);
  });

  it('a service outside the active profiles is still selectable by name', () => {
    expect(selectService(loadComposeFile(file, { environment: {} }), 'debug').input.service.image).toBe('debug');
  });
});

describe('include', () => {
  it('brings in services with their own directory and top-level volumes', () => {
    const file = path.join(FIXTURES, 'include/compose.yaml');
    const p = loadComposeFile(file, { environment: {} });
    expect(Object.keys(p.services).sort()).toEqual(['back', 'front']);
    const back = selectService(p, 'back').input;
    expect(back.service.volumes).toEqual([
      { type: 'bind', source: path.join(FIXTURES, 'include/sub/data'), target: '/data', bind: { create_host_path: true } },
      { type: 'volume', source: 'cache', target: '/cache' },
    ]);
    expect(back.source!.file).toBe(path.join(FIXTURES, 'include/sub/compose.yaml'));
  });
});

describe('key policy', () => {
  it.each([
    { key: 'priviledged: true', message: 'compose.yaml:4:5 services.s.priviledged: unknown key "priviledged" (did you mean "privileged"?)' },
    { key: 'enviroment: {}', message: 'compose.yaml:4:5 services.s.enviroment: unknown key "enviroment" (did you mean "environment"?)' },
    { key: 'use_api_socket: true', message: 'compose.yaml:4:5 services.s.use_api_socket: "use_api_socket" is not supported by ctnr: it mounts the API socket and credentials of the Docker engine; ctnr has no engine API to give a container (--allow-unsupported turns this into a warning)' },
    { key: 'storage_opt: {size: 1G}', message: 'compose.yaml:4:5 services.s.storage_opt: "storage_opt" is not supported by ctnr: storage driver options do not apply to a rootfs directory (--allow-unsupported turns this into a warning)' },
    {
      key: 'deploy: {resources: {reservations: {generic_resources: [{discrete_resource_spec: {kind: gpu, value: 1}}]}}}',
      message: 'compose.yaml:4:41 services.s.deploy.resources.reservations.generic_resources: "deploy.resources.reservations.generic_resources" is not supported by ctnr: swarm generic resources: a swarm node advertises them, and ctnr has no swarm (--allow-unsupported turns this into a warning)',
    },
  ])('$key', ({ key, message }) => {
    const err = thrownCtnrError(() => selectService(parse(`services:\n  s:\n    image: x\n    ${key}\n`), 's'));
    expect(formatError(err)).toBe(message);
  });

  it('--allow-unsupported turns refusals into warnings', () => {
    const { diagnostics } = selectService(parse('services:\n  s:\n    image: x\n    storage_opt: {size: 1G}\n', { allowUnsupported: true }), 's');
    expect(diagnostics).toEqual([
      { level: 'warning', code: 'KEY_UNSUPPORTED', message: '"storage_opt" is not supported by ctnr: storage driver options do not apply to a rootfs directory; left out', path: 'services.s.storage_opt', location: { file: 'compose.yaml', line: 4, col: 5 } },
    ]);
  });

  it('ignored keys are noted once per service; carried keys silently kept', () => {
    const { input, diagnostics } = selectService(parse('services:\n  s:\n    image: x\n    isolation: process\n    develop: {}\n    pull_policy: always\n    depends_on: [t]\n  t: {image: y}\n'), 's');
    expect(diagnostics.map((d) => d.message)).toEqual([
      'ignored: isolation (Windows only); develop (compose watch is a development-loop feature)',
    ]);
    expect(input.service.depends_on).toEqual({ t: { condition: 'service_started', required: true } });
  });

  it('the obsolete top-level version is noted, not refused', () => {
    const { diagnostics } = selectService(parse('version: "3.8"\nservices:\n  s: {image: x}\n'), 's');
    expect(diagnostics).toEqual([{ level: 'warning', code: 'KEY_IGNORED', message: 'the top-level "version" is obsolete and ignored', path: 'version', location: { file: 'compose.yaml', line: 1, col: 1 } }]);
  });

  it('unknown top-level keys have a did-you-mean', () => {
    expect(formatError(thrownCtnrError(() => parse('services: {}\nvolume: {}\n')))).toBe('compose.yaml:2:1 volume: unknown top-level key "volume" (did you mean "volumes"?)');
  });
});
