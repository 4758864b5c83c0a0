import { describe, expect, it } from 'vitest';
import { parseCompose } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';
import type { ServiceHook } from '../../../src/engine/service.js';
import { preStartId, preStartService } from '../../../src/runtime/pre-start.js';

const load = (yaml: string) => selectService(parseCompose(yaml, '/proj/compose.yaml', 'compose.yaml', { environment: {} }), 's').input.service;

/** `pre_start`: the service a hook container is made from (what the hook overrides, merges and drops). */
const service = {
  image: 'busybox',
  build: { context: '.' },
  command: ['sleep', '1'],
  entrypoint: ['/init'],
  user: '1000',
  working_dir: '/srv',
  privileged: true,
  environment: ['A=service', 'B=kept', 'C'],
  ports: ['8080:80'],
  volumes: ['data:/data'],
  networks: ['back'],
  container_name: 'fixed',
  healthcheck: { test: ['CMD', 'true'] },
  restart: 'always',
  pre_start: [{ command: ['true'] }],
  post_start: [{ command: ['true'] }],
  pre_stop: [{ command: ['true'] }],
};

describe('preStartService', () => {
  it.each<[string, ServiceHook, Record<string, unknown>]>([
    [
      'command replaced; user, working_dir, privileged from the hook',
      { command: ['sh', '-c', 'echo hi'], user: '0', working_dir: '/tmp', privileged: false },
      { command: ['sh', '-c', 'echo hi'], user: '0', working_dir: '/tmp', privileged: false },
    ],
    ['image: the hook\'s replaces the service\'s image and build', { command: ['id'], image: 'alpine' }, { image: 'alpine', build: undefined }],
    ['without them, the image defaults (the service\'s are dropped, as compose)', { command: ['id'] }, { command: ['id'], user: undefined, working_dir: undefined, privileged: undefined }],
    [
      'environment: the hook\'s over the service\'s, a later key last; KEY alone stays null',
      { command: ['env'], environment: [['A', 'hook'], ['D', null]] },
      { environment: { B: 'kept', C: null, A: 'hook', D: null } },
    ],
  ])('%s', (_name, hook, expected) => {
    const out = preStartService(service, hook);
    for (const [k, v] of Object.entries(expected)) {
      if (v === undefined) expect(Object.hasOwn(out, k), k).toBe(false);
      else expect(out[k], k).toEqual(v);
    }
  });

  it('drops ports, hooks, entrypoint, container_name, healthcheck and restart; keeps image, volumes, networks', () => {
    const out = preStartService(service, { command: ['true'] });
    for (const k of ['ports', 'pre_start', 'post_start', 'pre_stop', 'entrypoint', 'container_name', 'healthcheck', 'restart']) expect(Object.hasOwn(out, k), k).toBe(false);
    expect(out).toMatchObject({ image: 'busybox', volumes: ['data:/data'], networks: ['back'] });
    // The service itself is untouched.
    expect(service.ports).toEqual(['8080:80']);
  });

  it('image and per_replica: false load; post_start takes no image', () => {
    const s = load('services:\n  s:\n    image: x\n    pre_start:\n      - command: id\n        image: alpine\n        per_replica: false\n') as { pre_start?: ServiceHook[] };
    expect(s.pre_start).toEqual([{ command: ['id'], image: 'alpine' }]);
    expect(() => load('services:\n  s:\n    image: x\n    post_start:\n      - command: id\n        image: alpine\n')).toThrow(/unknown key "image"/);
  });

  it('a map environment merges too; no environment at all stays absent', () => {
    expect(preStartService({ image: 'x', environment: { A: 1, B: 'b' } }, { command: ['x'], environment: [['A', '2']] }).environment).toEqual({ B: 'b', A: '2' });
    expect(Object.hasOwn(preStartService({ image: 'x' }, { command: ['x'] }), 'environment')).toBe(false);
  });

  it('names hook containers <project>-<service>-pre-start-<i>', () => {
    expect(preStartId('p', 'web', 0)).toBe('p-web-pre-start-0');
  });
});

describe('pre_start entries in a compose file', () => {
  it('are typed as post_start entries, and the derived service loads', () => {
    const yaml = 'services:\n  s:\n    image: x\n    environment: [A=1]\n    pre_start:\n      - command: echo "a b"\n        environment: [B=2]\n';
    const s = load(yaml) as { pre_start?: ServiceHook[] };
    expect(s.pre_start).toEqual([{ command: ['echo', 'a b'], environment: [['B', '2']] }]);
    const project = parseCompose(yaml, '/proj/compose.yaml', 'compose.yaml', { environment: {} });
    const derived = { ...project, services: { s: preStartService(project.services.s!, s.pre_start![0]!) } };
    const d = selectService(derived, 's').input.service as { command?: string[]; environment?: Array<[string, string]>; pre_start?: unknown };
    expect(d.command).toEqual(['echo', 'a b']);
    expect(d.environment).toEqual([['A', '1'], ['B', '2']]);
    expect(d.pre_start).toBeUndefined();
  });

  it.each([
    ['      - user: root\n', /services\.s\.pre_start\[0\]\.command: is required/],
    ['      - command: id\n        working_dir: relative\n', /services\.s\.pre_start\[0\]\.working_dir: working_dir must be an absolute path/],
    ['      - command: id\n        per_replica: true\n', /services\.s\.pre_start\[0\]\.per_replica: per_replica is not supported/],
    ['      - command: id\n        workdir: /x\n', /services\.s\.pre_start\[0\]\.workdir: unknown key "workdir"/],
  ])('%j is a located error', (entry, message) => {
    let err: Error | undefined;
    try {
      load(`services:\n  s:\n    image: x\n    pre_start:\n${entry}`);
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeDefined();
    expect(`${(err as { path?: string }).path}: ${err!.message}`).toMatch(message);
    expect((err as { location?: { line: number } }).location?.line).toBeGreaterThanOrEqual(5);
  });
});
