import { describe, expect, it } from 'vitest';
import { hostnamePlugin } from '../../../plugins/network/hostname.js';
import { replicaIds } from '../../../src/runtime/replicas.js';
import type { Service } from '../../../src/engine/service.js';
import { testPluginYaml } from '../../helpers/engine.js';

describe('replica ids (ctnr up)', () => {
  it.each([
    [{}, ['p-web']],
    [{ scale: 1 }, ['p-web']],
    [{ scale: 3 }, ['p-web-1', 'p-web-2', 'p-web-3']],
    [{ deploy: { replicas: 2 } }, ['p-web-1', 'p-web-2']],
    [{ scale: 2, deploy: { replicas: 2 } }, ['p-web-1', 'p-web-2']],
    [{ scale: 0 }, []],
    [{ scale: 2, ports: [{ target: 80, protocol: 'tcp' }] }, ['p-web-1', 'p-web-2']],
    [{ container_name: 'one' }, ['p-web']],
  ] as Array<[Service, string[]]>)('%j → %j', (service, ids) => {
    expect(replicaIds('p', 'web', service)).toEqual(ids);
  });

  it.each([
    [{ scale: 2, deploy: { replicas: 3 } }, 'services.web.scale', /can't set distinct values on 'scale' \(2\) and 'deploy.replicas' \(3\)/],
    [{ scale: -1 }, 'services.web.scale', /scale must be 0 or more/],
    [{ deploy: { replicas: -2 } }, 'services.web.deploy.replicas', /deploy.replicas must be 0 or more/],
    [{ scale: 2, container_name: 'one' }, 'services.web.container_name', /container_name "one" names one container, and scale asks for 2/],
    [{ deploy: { replicas: 3 }, ports: [{ target: 80, published: 8080, protocol: 'tcp' }] }, 'services.web.ports[0]', /host port 8080 cannot be published by 3 replicas \(deploy.replicas\)/],
  ] as Array<[Service, string, RegExp]>)('%j → located error at %s', (service, at, message) => {
    const locate = () => ({ file: 'compose.yaml', line: 4, column: 5 });
    expect(() => replicaIds('p', 'web', service, locate as never)).toThrow(message);
    try {
      replicaIds('p', 'web', service, locate as never);
    } catch (err) {
      expect(err).toMatchObject({ code: 'SERVICE_INVALID', path: at, location: { line: 4 } });
    }
  });
});

describe('ctnr:hostname for replicas', () => {
  it.each([
    [{ scale: 3 }, { containerId: 'p-svc-2' }, 'p-svc-2'],
    [{ deploy: { replicas: 2 } }, { containerId: 'p-svc-1' }, 'p-svc-1'],
    // One container, or no id known (ctnr spec): the service name, as before.
    [{}, { containerId: 'p-svc' }, 'svc'],
    [{ scale: 3 }, {}, 'svc'],
    // A hostname of its own wins.
    [{ scale: 3, hostname: 'mine' }, { containerId: 'p-svc-2' }, 'mine'],
  ])('%j with env %j → %s', async (service, env, hostname) => {
    const r = await testPluginYaml(hostnamePlugin(), service, { env });
    expect(r.errors).toEqual([]);
    expect(r.spec!.hostname).toBe(hostname);
  });
});
