import { describe, expect, it } from 'vitest';
import { dependencies, dependencyRefs, startOrder } from '../../../src/runtime/order.js';

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
