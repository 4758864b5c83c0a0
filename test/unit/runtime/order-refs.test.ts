import { describe, expect, it } from 'vitest';
import { dependencies, dependencyRefs, startOrder, waitConditions } from '../../../src/runtime/order.js';

describe('start dependencies as compose derives them', () => {
  it('depends_on, links, volumes_from services and service: modes, each with where it is written', () => {
    expect(
      dependencyRefs({
        depends_on: { a: {} },
        links: ['b:alias', 'c', 'bad:x:y'],
        volumes_from: ['d:ro', 'service:e', 'container:f', 'g'],
        network_mode: 'service:h',
        ipc: 'service:i',
        pid: 'container:j',
      }),
    ).toEqual([
      { name: 'a', at: ['depends_on', 'a'] },
      { name: 'b', at: ['links', 0] },
      { name: 'c', at: ['links', 1] },
      { name: 'd', at: ['volumes_from', 0] },
      { name: 'e', at: ['volumes_from', 1] },
      { name: 'g', at: ['volumes_from', 3] },
      { name: 'h', at: ['network_mode'] },
      { name: 'i', at: ['ipc'] },
    ]);
    expect(dependencies({ links: ['x', 'x:y'], depends_on: ['x'] })).toEqual(['x']);
  });

  it('orders by links and service: modes, and locates a reference to no service', () => {
    const services = { web: { links: ['db:database'] }, db: { ipc: 'service:shm' }, shm: {} };
    expect(startOrder(services, ['web'])).toEqual(['shm', 'db', 'web']);
    const locate = (p: Array<string | number>) => ({ file: 'compose.yaml', line: 7, column: 9, path: p.join('.') });
    let err: any;
    try {
      startOrder({ web: { volumes_from: ['ghost:ro'] } }, [], locate as never);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'SERVICE_INVALID', message: 'volumes_from names "ghost", which is not a service of this file', location: { line: 7 } });
    expect(err.path).toBe('services.web.volumes_from[0]');
  });
});

describe('depends_on required: false and conditions', () => {
  it('a missing dependency with required: false is a note, not an error; a required one still fails', () => {
    const notes: string[] = [];
    const services = { web: { depends_on: { ghost: { condition: 'service_started', required: false }, db: {} } }, db: {} };
    expect(startOrder(services, ['web'], undefined, (m) => notes.push(m))).toEqual(['db', 'web']);
    expect(notes).toEqual(['web depends on "ghost", which is not a service of this file; it is not required (required: false), so web starts without it']);
    expect(() => startOrder({ web: { depends_on: { ghost: { required: true } } } }, [])).toThrow('depends on "ghost", which is not a service of this file');
  });

  const deps = (table: Record<string, Record<string, { condition: string; required?: boolean }>>) => (s: string) => table[s];

  it.each([
    ['only service_started: nothing to wait for', { web: { db: { condition: 'service_started' } } }, ['db', 'web'], {}],
    ['healthy and completed, each with its dependents', { web: { db: { condition: 'service_healthy' }, mig: { condition: 'service_completed_successfully' } }, api: { db: { condition: 'service_healthy' } } }, ['db', 'mig', 'web', 'api'], { db: { healthy: ['web', 'api'], completed: [], healthyRequired: true, completedRequired: false }, mig: { healthy: [], completed: ['web'], healthyRequired: false, completedRequired: true } }],
    ['required only where one dependent requires it', { web: { db: { condition: 'service_healthy', required: false } }, api: { db: { condition: 'service_healthy', required: false } }, job: { mig: { condition: 'service_completed_successfully', required: false } }, cli: { mig: { condition: 'service_completed_successfully' } } }, ['db', 'mig', 'web', 'api', 'job', 'cli'], { db: { healthy: ['web', 'api'], completed: [], healthyRequired: false, completedRequired: false }, mig: { healthy: [], completed: ['job', 'cli'], healthyRequired: false, completedRequired: true } }],
    ['a dependency outside the order (not started by this up) is not waited for', { web: { db: { condition: 'service_healthy' } } }, ['web'], {}],
  ])('%s', (_, table, order, expected) => {
    expect(Object.fromEntries(waitConditions(order, deps(table)))).toEqual(expected);
  });

  it('healthy for one dependent and completed for another is an error at the second', () => {
    const table = { a: { x: { condition: 'service_healthy' } }, b: { x: { condition: 'service_completed_successfully' } } };
    expect(() => waitConditions(['x', 'a', 'b'], deps(table))).toThrow(expect.objectContaining({ path: 'services.b.depends_on.x', message: 'a waits for x to be healthy and b for it to complete: it cannot both keep running and end' }));
  });
});
