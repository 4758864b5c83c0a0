import { describe, expect, it } from 'vitest';
import { testPluginYaml } from '../../helpers/engine.js';
import { baseSpec, loadError } from '../../helpers/plugin-table.js';
import { argsPlugin } from '../../../plugins/process/args.js';
import { argsRequiredPlugin } from '../../../plugins/process/args-required.js';

const image = { Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'] };

describe('ctnr:args (docker rules for entrypoint and command)', () => {
  it.each([
    { what: 'image entrypoint + cmd', service: {}, image, args: ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;'] },
    { what: 'command replaces cmd only', service: { command: ['nginx', '-T'] }, image, args: ['/docker-entrypoint.sh', 'nginx', '-T'] },
    { what: 'entrypoint discards the image cmd', service: { entrypoint: ['/bin/sh'] }, image, args: ['/bin/sh'] },
    { what: 'entrypoint and command', service: { entrypoint: '/bin/sh -c', command: 'echo hi' }, image, args: ['/bin/sh', '-c', 'echo', 'hi'] },
    { what: 'string form is split like a shell', service: { command: `sh -c 'echo "a b"' c\\ d` }, image: undefined, args: ['sh', '-c', 'echo "a b"', 'c d'] },
    { what: 'numbers in list form become strings', service: { command: ['sleep', 5] }, image: undefined, args: ['sleep', '5'] },
    { what: 'empty entrypoint list clears entrypoint, command still runs', service: { entrypoint: [], command: ['id'] }, image, args: ['id'] },
    { what: 'image cmd only', service: { command: null }, image: { Cmd: ['/bin/true'] }, args: ['/bin/true'] },
  ])('$what', async ({ service, image, args }) => {
    const svc = { ...service } as Record<string, unknown>;
    if (!('command' in svc)) svc.command = null;
    const r = await testPluginYaml(argsPlugin(), svc, image ? { image } : {});
    expect(r.errors).toEqual([]);
    // The base spec has `args: []`, so the plugin replaces it.
    expect(r.ops).toEqual([{ op: 'replace', path: '/process/args', value: args }]);
    expect(r.spec!.process!.args).toEqual(args);
  });

  it.each([
    { what: 'no command, no entrypoint, no image', service: { command: null } },
    { what: 'an empty entrypoint and no command', service: { command: null, entrypoint: [] } },
  ])('nothing to run: no ops ($what)', async ({ service }) => {
    const r = await testPluginYaml(argsPlugin(), service);
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual([]);
    expect(r.spec!.process!.args).toEqual([]);
  });
});

describe('ctnr:args-required', () => {
  it('nothing to run is a located error', async () => {
    // The base spec's `args: []` is what ctnr:args leaves when the service and the image give nothing to run.
    const { errors } = await testPluginYaml(argsRequiredPlugin(), { command: null, entrypoint: [] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'SERVICE_INVALID', plugin: 'ctnr:args-required', path: 'services.svc', location: { file: 'compose.yaml' } });
    expect(errors[0]!.message).toMatch(/nothing to run/);
  });

  it('args written before it: no error and no ops', async () => {
    const r = await testPluginYaml(argsRequiredPlugin(), { command: null }, { spec: baseSpec((s) => { s.process!.args = ['/bin/true']; }) });
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual([]);
  });
});

describe('compose loader (before any plugin runs)', () => {
  it('an unterminated quote is a located schema error', () => {
    const err = loadError({ command: 'echo "oops' });
    expect(err.message).toMatch(/unterminated " quote/);
    expect(err.path).toBe('services.svc.command');
  });
});
