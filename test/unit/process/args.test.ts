import { describe, expect, it } from 'vitest';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';

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
    const result = await runServiceYaml(svc, image ? { image } : {});
    expect(result.spec.process!.args).toEqual(args);
  });

  it('nothing to run is a located error', async () => {
    const err = await serviceError({ command: null, entrypoint: [] });
    expect(err.code).toBe('SERVICE_INVALID');
    expect(err.plugin).toBe('ctnr:args-required');
    expect(err.message).toMatch(/nothing to run/);
    expect(err.path).toBe('services.svc');
  });

  it('an unterminated quote is a located schema error', async () => {
    const err = await serviceError({ command: 'echo "oops' });
    expect(err.message).toMatch(/unterminated " quote/);
    expect(err.path).toBe('services.svc.command');
  });
});
