import { describe, expect, it } from 'vitest';
import { loadComposeFile } from '../../../src/compose/load.js';
import { projectNameFromDir } from '../../../src/compose/top-level.js';
import { selectService } from '../../../src/compose/select.js';
import { CtnrError, escapeControls, formatError } from '../../../src/engine/errors.js';
import { composeDir, failure, load } from './compose-helpers.js';

/** Names are checked with docker compose's rules at load; control characters never reach a terminal (issue 16 items 3, 4, 6). */
const tmp = composeDir('names');

describe('service names in the file', () => {
  it.each([
    ['x/../../../../../tmp/victim', 'compose.yaml:2:3 services["x/../../../../../tmp/victim"]: service name "x/../../../../../tmp/victim" is not valid'],
    ['..', 'compose.yaml:2:3 services[".."]: service name ".." is not valid'],
    ['-web', 'compose.yaml:2:3 services["-web"]: service name "-web" is not valid'],
    ['.hidden', 'compose.yaml:2:3 services[".hidden"]: service name ".hidden" is not valid'],
    ['web app', 'compose.yaml:2:3 services["web app"]: service name "web app" is not valid'],
    ['__proto__', 'compose.yaml:2:3 services.__proto__: service name "__proto__" is not valid'],
  ])('%j is NAME_INVALID, located', (name, text) => {
    const dir = tmp.write(`services:\n  ${JSON.stringify(name)}:\n    image: x\n`);
    const e = failure(() => load(dir));
    expect(e.code).toBe('NAME_INVALID');
    expect(e.text).toContain(text);
    expect(e.text).toContain('(docker compose\'s rule)');
  });

  it('a name with an escape sequence is refused and printed escaped', () => {
    const dir = tmp.write('services:\n  "web\\e]0;pwned\\a\\e[2J":\n    image: x\n');
    const e = failure(() => load(dir));
    expect(e.code).toBe('NAME_INVALID');
    expect(e.text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(e.text).toContain('\\u001b]0;pwned');
  });

  it.each(['web', 'Web_1', 'api.v2', '9lives', 'a-b.c_d', 'toString', 'constructor', 'hasOwnProperty', 'valueOf'])('%j is accepted and selectable', (name) => {
    const dir = tmp.write(`services:\n  ${name}:\n    image: x\n    command: ["true"]\n`);
    const project = loadComposeFile(undefined, { cwd: dir, environment: {} });
    expect(Object.keys(project.services)).toEqual([name]);
    expect(selectService(project, name).input.name).toBe(name);
  });
});

describe('service names from the command line', () => {
  const dir = tmp.write('services:\n  web:\n    image: x\n    command: ["true"]\n');
  const project = loadComposeFile(undefined, { cwd: dir, environment: {} });

  it.each(['toString', 'constructor', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable'])('%s is SERVICE_NOT_FOUND, not a crash', (name) => {
    const e = failure(() => selectService(project, name));
    expect(e).toEqual({ code: 'SERVICE_NOT_FOUND', text: `no service "${name}" in compose.yaml (services: web)` });
  });

  it.each(['x/../..', '../../etc', '__proto__', '', 'a\nb', '\x1b[2J'])('%j is NAME_INVALID', (name) => {
    const e = failure(() => selectService(project, name));
    expect(e.code).toBe('NAME_INVALID');
    expect(e.text).not.toMatch(/[\x00-\x08\x0a-\x1f]/);
  });
});

describe('project names', () => {
  it.each([
    ['../../../tmp/victim2', 'compose.yaml:1:1 name: project name "../../../tmp/victim2" is not valid'],
    ['MyApp', 'compose.yaml:1:1 name: project name "MyApp" is not valid'],
    ['_app', 'compose.yaml:1:1 name: project name "_app" is not valid'],
    ['app.v2', 'compose.yaml:1:1 name: project name "app.v2" is not valid'],
  ])('name: %j is NAME_INVALID, located', (name, text) => {
    const dir = tmp.write(`name: ${JSON.stringify(name)}\nservices:\n  web:\n    image: x\n`);
    const e = failure(() => load(dir));
    expect(e.code).toBe('NAME_INVALID');
    expect(e.text).toContain(text);
  });

  it('an interpolated name is checked after interpolation', () => {
    const dir = tmp.write('name: ${P}\nservices:\n  web:\n    image: x\n');
    expect(failure(() => loadComposeFile(undefined, { cwd: dir, environment: { P: '../x' } })).code).toBe('NAME_INVALID');
    expect(loadComposeFile(undefined, { cwd: dir, environment: { P: 'ok-1' } }).name).toBe('ok-1');
  });

  it.each([
    ['/x/My.Project', 'myproject'],
    ['/x/__svc', 'svc'],
    ['/x/-_-', 'default'],
    ['/x/a b', 'ab'],
  ])('the directory name %j becomes %j', (dir, name) => {
    expect(projectNameFromDir(dir)).toBe(name);
  });
});

describe('container_name and network aliases cannot inject /etc/hosts lines', () => {
  it.each([
    ['container_name: "web\\n10.0.0.9 bank"', 'services.web.container_name', 'is not a container name'],
    ['container_name: "a b"', 'services.web.container_name', 'is not a container name'],
    ['container_name: "x"', 'services.web.container_name', 'is not a container name'],
    ['networks:\n      n:\n        aliases: [ok, "evil\\n10.0.0.9 bank # "]', 'services.web.networks.n.aliases[1]', 'alias "evil\\n10.0.0.9 bank # " is not a host name'],
    ['networks:\n      n:\n        aliases: ["a b"]', 'services.web.networks.n.aliases[0]', 'is not a host name'],
    ['networks:\n      n:\n        aliases: ["-x"]', 'services.web.networks.n.aliases[0]', 'is not a host name'],
  ])('%s', (yaml, path, message) => {
    const dir = tmp.write(`services:\n  web:\n    image: x\n    ${yaml}\nnetworks:\n  n: {}\n`);
    const e = failure(() => load(dir, 'web'));
    expect(e.code).toBe('SERVICE_INVALID');
    expect(e.text).toMatch(new RegExp(`^compose\\.yaml:\\d+:\\d+ ${path.replace(/[.[\]]/g, '\\$&')}: `));
    expect(e.text).toContain(message);
    expect(e.text.split('\n')).toHaveLength(1);
  });

  it('good names pass', () => {
    const dir = tmp.write('services:\n  web:\n    image: x\n    container_name: my-web.1\n    networks:\n      n:\n        aliases: [db, db.internal, db_1]\nnetworks:\n  n: {}\n');
    const { input } = selectService(loadComposeFile(undefined, { cwd: dir, environment: {} }), 'web');
    expect(input.service.container_name).toBe('my-web.1');
  });
});

describe('user keys are kept in maps without a prototype', () => {
  it('__proto__, constructor and toString keys survive in environment, labels, annotations, sysctls, extra_hosts', () => {
    const dir = tmp.write(
      [
        'services:',
        '  web:',
        '    image: x',
        '    environment: { __proto__: p, constructor: c, toString: t }',
        '    labels: { __proto__: lp, constructor: lc }',
        '    annotations: [__proto__=ap]',
        '    sysctls: { __proto__: sp }',
        '    extra_hosts: { __proto__: 10.0.0.1 }',
        '',
      ].join('\n'),
    );
    const { input } = selectService(loadComposeFile(undefined, { cwd: dir, environment: {} }), 'web');
    const s = input.service as Record<string, any>;
    expect(s.environment).toEqual([['__proto__', 'p'], ['constructor', 'c'], ['toString', 't']]);
    expect(Object.entries(s.labels)).toEqual([['__proto__', 'lp'], ['constructor', 'lc']]);
    expect(Object.entries(s.annotations)).toEqual([['__proto__', 'ap']]);
    expect(Object.entries(s.sysctls)).toEqual([['__proto__', 'sp']]);
    expect(s.extra_hosts).toEqual([{ host: '__proto__', ip: '10.0.0.1' }]);
    expect('toString' in s.labels).toBe(false);
  });

  it('${toString} and a bare `constructor` variable are unset, not Object.prototype\'s functions', () => {
    const dir = tmp.write('services:\n  web:\n    image: x\n    command: ["echo", "${toString:-unset}"]\n    environment: [constructor, hasOwnProperty]\n');
    const { input } = selectService(loadComposeFile(undefined, { cwd: dir, environment: {} }), 'web');
    expect(input.service.command).toEqual(['echo', 'unset']);
    expect(input.service.environment).toEqual([]);
  });

  it('an empty container_name (an unset variable) means no name', () => {
    const dir = tmp.write('services:\n  web:\n    image: x\n    container_name: ${NAME}\n');
    expect((load(dir, 'web') as { input: { service: { container_name?: string } } }).input.service.container_name).toBeUndefined();
  });

  it('a network called "constructor" must still be declared', () => {
    const dir = tmp.write('services:\n  web:\n    image: x\n    networks: [constructor]\n');
    const e = failure(() => load(dir, 'web'));
    expect(e.text).toContain('network "constructor" is not declared');
  });

  it('a __proto__ key in a sub-object is an unknown key, not silently dropped', () => {
    const dir = tmp.write('services:\n  web:\n    image: x\n    healthcheck:\n      __proto__: {}\n      test: ["CMD", "true"]\n');
    const e = failure(() => load(dir, 'web'));
    expect(e.text).toContain('unknown key "__proto__"');
  });
});

describe('control characters never reach a terminal raw', () => {
  it.each([
    ['ESC', '\x1b[2J', '\\x1b[2J'],
    ['BEL and CR', 'a\x07\rb', 'a\\x07\\x0db'],
    ['8-bit CSI', 'a\u009b31m', 'a\\x9b31m'],
    ['DEL', 'a\x7f', 'a\\x7f'],
    ['a bidi override', 'a\u202eb', 'a\\u202eb'],
  ])('%s is escaped', (_, raw, shown) => {
    expect(escapeControls(raw)).toBe(shown);
    expect(formatError(new CtnrError('USAGE', `x ${raw}`, { path: ['services', raw], location: { file: raw, line: 1, col: 1 } }))).not.toContain(raw);
  });

  it('newline and tab stay (messages have lines), unless one line is asked for', () => {
    expect(escapeControls('a\n\tb')).toBe('a\n\tb');
    expect(escapeControls('a\n\tb', true)).toBe('a\\x0a\\x09b');
  });
});
