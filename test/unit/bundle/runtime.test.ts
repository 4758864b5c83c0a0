import { describe, expect, it } from 'vitest';
import { hybridWithV2Controllers, selectRuntime, serviceRuntimeOf } from '../../../src/runtime/select.js';
import { normaliseSignal, stopSignalOf } from '../../../src/runtime/run.js';
import { dependencies, startOrder } from '../../../src/runtime/order.js';

// Recorded from this VM (cgroup v1 with a cgroup2 mount holding hugetlb) and from a pure cgroup v2 host.
const HYBRID = [
  '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '29 30 0:26 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate',
].join('\n');
const V2 = '29 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate';

describe('crun hybrid-mode detection', () => {
  it.each([
    ['hybrid with a controller in the v2 hierarchy', HYBRID, 'hugetlb\n', true],
    ['hybrid with an empty v2 hierarchy', HYBRID, '\n', false],
    ['pure cgroup v2', V2, 'cpu memory pids\n', false],
    ['no cgroup2 at all', HYBRID.split('\n').slice(0, 2).join('\n'), 'hugetlb', false],
  ])('%s → %s', (_n, mountinfo, controllers, blocked) => {
    expect(hybridWithV2Controllers(mountinfo, () => controllers)).toBe(blocked);
  });
});

describe('selectRuntime', () => {
  const on = (...names: string[]) => (c: string) => (names.includes(c) ? `/usr/bin/${c}` : undefined);
  it.each([
    ['crun first when it works', undefined, on('crun', 'runc'), false, 'crun', false],
    ['runc with a note when crun cannot run here', undefined, on('crun', 'runc'), true, 'runc', true],
    ['runc when it is the only one', undefined, on('runc'), false, 'runc', false],
    ['explicit runc', 'runc', on('crun', 'runc'), false, 'runc', false],
    ['explicit crun on a hybrid host: honoured, with a warning note', 'crun', on('crun', 'runc'), true, 'crun', true],
  ])('%s', (_n, choice, find, blocked, name, hasNote) => {
    const r = selectRuntime({ ...(choice ? { choice } : {}), find, crunBlocked: () => blocked });
    expect(r.runtime).toEqual({ name, path: `/usr/bin/${name}` });
    expect(r.note !== undefined).toBe(hasNote);
  });

  it.each([
    ['nothing installed', undefined, /no OCI runtime found/],
    ['unknown name', 'kata', /must be runc, crun or a path/],
    ['missing path', '/nonexistent/runc', /not an executable/],
    ['asked for one that is not installed', 'crun', /crun not found/],
  ])('%s', (_n, choice, msg) => {
    expect(() => selectRuntime({ ...(choice ? { choice } : {}), find: () => undefined, crunBlocked: () => false })).toThrow(msg);
  });
});

describe('stop signal', () => {
  it.each([
    ['SIGTERM', 'SIGTERM'],
    ['sigint', 'SIGINT'],
    ['QUIT', 'SIGQUIT'],
    ['9', '9'],
    ['SIGRTMIN+3', 'SIGRTMIN+3'],
    ['SIGNOPE', undefined],
    ['0', undefined],
    ['65', undefined],
  ])('%s → %s', (raw, want) => {
    expect(normaliseSignal(raw)).toBe(want);
  });

  it('comes from the spec annotation, SIGTERM by default or when invalid (with a warning)', () => {
    const warnings: string[] = [];
    expect(stopSignalOf({ annotations: { 'org.opencontainers.image.stopSignal': 'SIGUSR1' } })).toBe('SIGUSR1');
    expect(stopSignalOf({})).toBe('SIGTERM');
    expect(stopSignalOf({ annotations: { 'org.opencontainers.image.stopSignal': 'bogus' } }, (m) => warnings.push(m))).toBe('SIGTERM');
    expect(warnings).toHaveLength(1);
  });
});

describe('depends_on order', () => {
  const services = {
    web: { depends_on: ['api', 'cache'] },
    api: { depends_on: { db: { condition: 'service_healthy' } } },
    cache: {},
    db: {},
    tool: { depends_on: ['db'] },
  };
  it.each([
    [[], ['db', 'api', 'cache', 'web', 'tool']],
    [['web'], ['db', 'api', 'cache', 'web']],
    [['tool'], ['db', 'tool']],
    [['cache', 'db'], ['cache', 'db']],
  ])('up %j → %j', (selected, order) => {
    expect(startOrder(services, selected)).toEqual(order);
  });

  it('reads both list and map forms', () => {
    expect(dependencies({ depends_on: ['a'] })).toEqual(['a']);
    expect(dependencies({ depends_on: { b: { condition: 'service_started' } } })).toEqual(['b']);
    expect(dependencies({})).toEqual([]);
  });

  it.each([
    [{ a: { depends_on: ['b'] }, b: { depends_on: ['a'] } }, ['a'], /cycle: a → b → a/],
    [{ a: { depends_on: ['ghost'] } }, [], /"ghost", which is not a service/],
    [{ a: {} }, ['nope'], /no service "nope"/],
  ])('refuses %j', (svc, sel, msg) => {
    expect(() => startOrder(svc, sel)).toThrow(msg);
  });
});

describe("a service's own runtime:", () => {
  it.each([
    { runtime: undefined, choice: undefined },
    { runtime: '', choice: undefined },
    { runtime: 'runc', choice: 'runc' },
    { runtime: 'crun', choice: 'crun' },
  ])('$runtime → $choice', ({ runtime, choice }) => {
    expect(serviceRuntimeOf(runtime === undefined ? {} : { runtime })).toEqual({ choice });
  });

  // A sandbox asked for must not become plain runc.
  it.each(['runsc', 'kata', 'nvidia', 'io.containerd.runc.v2', 'Runc'])('%s is refused at runtime:', (runtime) => {
    expect(serviceRuntimeOf({ runtime })).toEqual({
      problem: `runtime "${runtime}" is not one ctnr runs (runc or crun): the service would run with less isolation than it asks for under another runtime`,
      path: ['runtime'],
    });
  });
});
