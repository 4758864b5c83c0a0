import { describe, expect, it } from 'vitest';
import { op, testPlugin } from '../../../src/plugin-kit/index.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import type { Operation } from '../../../src/engine/types.js';

const base = createBaseSpec();
const withEnv = (env: string[] | undefined) => {
  const s = createBaseSpec();
  if (env === undefined) delete s.process!.env;
  else s.process!.env = env;
  return s;
};
const withAnnotations = { ...createBaseSpec(), annotations: { a: '1' } };

describe('op builders', () => {
  it.each<[string, Operation | Operation[], Operation | Operation[]]>([
    ['set', op.set('/hostname', 'web'), { op: 'add', path: '/hostname', value: 'web' }],
    ['append, no spec', op.append('/process/args', 'x'), { op: 'add', path: '/process/args/-', value: 'x' }],
    ['append to an existing array', op.append('/process/args', 'x', base), { op: 'add', path: '/process/args/-', value: 'x' }],
    ['append to a missing array creates it', op.append('/process/rlimits', { type: 'RLIMIT_NOFILE', hard: 1, soft: 1 }, base),
      { op: 'add', path: '/process/rlimits', value: [{ type: 'RLIMIT_NOFILE', hard: 1, soft: 1 }] }],
    ['remove', op.remove('/linux/maskedPaths'), { op: 'remove', path: '/linux/maskedPaths' }],
    ['annotation escapes ~ and /', op.annotation('com.example/a~b', 'v'), { op: 'add', path: '/annotations/com.example~1a~0b', value: 'v' }],
    ['annotation with no /annotations yet', op.annotation('com.example/a', 'v', base), { op: 'add', path: '/annotations', value: { 'com.example/a': 'v' } }],
    ['annotation next to others', op.annotation('b/c', 'v', withAnnotations), { op: 'add', path: '/annotations/b~1c', value: 'v' }],
    ['env replaces NAME= at its index', op.env('B', '2', withEnv(['A=1', 'B=1', 'BB=1'])), { op: 'replace', path: '/process/env/1', value: 'B=2' }],
    ['env appends a new name', op.env('C', '', withEnv(['A=1', 'CC=1'])), { op: 'add', path: '/process/env/-', value: 'C=' }],
    ['env creates process.env', op.env('A', 'x=y', withEnv(undefined)), { op: 'add', path: '/process/env', value: ['A=x=y'] }],
    ['mount appends to /mounts', op.mount({ destination: '/data', type: 'tmpfs', source: 'tmpfs' }), { op: 'add', path: '/mounts/-', value: { destination: '/data', type: 'tmpfs', source: 'tmpfs' } }],
    ['ensureParents', op.ensureParents(base, '/linux/resources/pids/limit'), [{ op: 'add', path: '/linux/resources/pids', value: {} }]],
    ['pointer', [{ op: 'test', path: op.pointer('annotations', 'a/b', 0), value: 1 }], [{ op: 'test', path: '/annotations/a~1b/0', value: 1 }]],
  ])('%s', (_what, got, expected) => {
    expect(got).toEqual(expected);
  });

  it.each(['', 'A=B', undefined as unknown as string])('env refuses the name %j', (name) => {
    expect(() => op.env(name, 'x', base)).toThrow(TypeError);
  });

  // What the builders return applies in the engine, through its own checks.
  it.each<[string, (spec: typeof base) => Operation[], (spec: NonNullable<Awaited<ReturnType<typeof testPlugin>>['spec']>) => unknown, unknown]>([
    ['env replaces PATH in place', (s) => [op.env('PATH', '/bin', s)], (s) => s.process!.env, ['PATH=/bin']],
    ['env then another name', (s) => [op.env('A', '1', s)], (s) => s.process!.env!.length, 2],
    ['annotation on a spec without annotations', (s) => [op.annotation('com.example/x', 'y', s)], (s) => s.annotations, { 'com.example/x': 'y' }],
    ['append creates rlimits', (s) => [op.append('/process/rlimits', { type: 'RLIMIT_NOFILE', hard: 8, soft: 8 }, s)], (s) => s.process!.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 8, soft: 8 }]],
    ['mount lands last', (s) => [op.mount({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] })], (s) => s.mounts!.at(-1)!.destination, '/data'],
    ['set replaces a member', (s) => [op.set('/root', { path: 'rootfs', readonly: true })], (s) => s.root, { path: 'rootfs', readonly: true }],
    ['ensureParents then set', (s) => [...op.ensureParents(s, '/linux/resources/pids'), op.set('/linux/resources/pids', { limit: 5 })], (s) => s.linux!.resources!.pids, { limit: 5 }],
    ['remove', () => [op.remove('/linux/maskedPaths')], (s) => s.linux!.maskedPaths, undefined],
  ])('in the engine: %s', async (_what, build, pick, expected) => {
    const r = await testPlugin({ name: 'acme:ops', stage: 'process', apply: ({ spec }) => build(spec as typeof base) });
    expect(r.errors).toEqual([]);
    expect(pick(r.spec!)).toEqual(expected);
  });

  it('append without a spec on a missing array fails in the engine, naming the op', async () => {
    const r = await testPlugin({ name: 'acme:ops', stage: 'process', apply: () => [op.append('/process/rlimits', { type: 'RLIMIT_NOFILE', hard: 1, soft: 1 })] });
    expect(r.errors).toMatchObject([{ code: 'PATCH_FAILED', plugin: 'acme:ops', message: expect.stringMatching(/op 0 \(add \/process\/rlimits\/-\) does not apply/) }]);
  });
});
