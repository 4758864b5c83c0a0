import { describe, expect, it } from 'vitest';
import { testPluginYaml } from '../../helpers/engine.js';
import { parseCompose } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';
import { envPlugin } from '../../../plugins/process/env.js';

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

describe('ctnr:env', () => {
  it.each([
    { what: 'default PATH only', service: {}, image: undefined, env: [PATH] },
    { what: 'map form keeps document order', service: { environment: { Z: '1', A: 2, M: true } }, image: undefined, env: [PATH, 'Z=1', 'A=2', 'M=true'] },
    { what: 'list form; later duplicate wins at its new place', service: { environment: ['A=1', 'B=2', 'A=3'] }, image: undefined, env: [PATH, 'B=2', 'A=3'] },
    { what: 'value with = signs', service: { environment: ['URL=a=b=c'] }, image: undefined, env: [PATH, 'URL=a=b=c'] },
    { what: 'image env then service env replaces in place', service: { environment: { FOO: 'svc' } }, image: { Env: ['PATH=/img', 'FOO=img', 'BAR=1'] }, env: ['PATH=/img', 'FOO=svc', 'BAR=1'] },
    { what: 'tty adds TERM=xterm', service: { tty: true }, image: undefined, env: [PATH, 'TERM=xterm'] },
    { what: 'empty value is kept', service: { environment: { EMPTY: '' } }, image: undefined, env: [PATH, 'EMPTY='] },
  ])('$what', async ({ service, image, env }) => {
    const r = await testPluginYaml(envPlugin(), service, image ? { image } : {});
    expect(r.errors).toEqual([]);
    expect(r.spec!.process!.env).toEqual(env);
    // The base spec holds PATH only: an unchanged list is not written again.
    expect(r.ops).toEqual(env.length === 1 && env[0] === PATH ? [] : [{ op: 'replace', path: '/process/env', value: env }]);
  });

  it('a bare KEY gets its value from the variables the file was loaded with', async () => {
    const r = await testPluginYaml(envPlugin(), { environment: ['FROM_HOST', 'UNSET_VAR'] }, { environment: { FROM_HOST: 'h' } });
    expect(r.spec!.process!.env).toEqual([PATH, 'FROM_HOST=h']);
  });
});

describe('compose loader: environment entries without a value', () => {
  it.each([
    { what: 'bare KEY takes the value from the environment', environment: ['FROM_HOST', 'UNSET_VAR'], host: { FROM_HOST: 'h' }, expected: [['FROM_HOST', 'h']] },
    { what: 'KEY: (null) in map form too', environment: { FROM_HOST: null, X: '1' }, host: { FROM_HOST: 'v' }, expected: [['FROM_HOST', 'v'], ['X', '1']] },
    { what: 'unset variable is dropped, like docker compose', environment: { NOPE: null }, host: {}, expected: [] },
  ])('$what', ({ environment, host, expected }) => {
    const project = parseCompose(JSON.stringify({ services: { s: { command: ['x'], environment } } }), '/p/compose.yaml', 'compose.yaml', { environment: host });
    expect(selectService(project, 's').input.service.environment).toEqual(expected);
  });
});
