import { definePlugin } from '../../src/engine/define.js';
import { lookup, ops } from '../../src/engine/patch.js';
import type { Operation } from '../../src/engine/types.js';
import { namespaceState } from '../../src/network/spec-facts.js';
import type { Service } from '../../src/engine/service.js';

/** How many containers `ctnr up` starts for a service: `scale`, else `deploy.replicas`, else 1 (compose's GetScale). */
export function scaleOf(service: Pick<Service, 'scale' | 'deploy'>): number {
  return service.scale ?? service.deploy?.replicas ?? 1;
}

/** The kernel's limit for both names (__NEW_UTS_LEN). */
const UTS_MAX = 64;
const NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/**
 * `hostname` (default: the service name; for one of several replicas (`scale`/`deploy.replicas` above 1) its
 * container id, `env.containerId` (`<project>-<service>-<n>`), so replicas tell themselves apart as docker's do)
 * and `domainname` → `hostname` / `domainname`. They
 * need a UTS namespace: with `uts: host` setting either is an error. With host networking and no `hostname`,
 * none is set, so the container shows the host's name (docker's behaviour).
 */
export function hostnamePlugin() {
  return definePlugin({
    name: 'ctnr:hostname',
    stage: 'network',
    after: ['ctnr:namespaces'],
    apply({ service, serviceName, spec, env, error }) {
      const uts = namespaceState(spec, 'uts');
      const out: Operation[] = [];
      const check = (key: 'hostname' | 'domainname', value: string) => {
        if (value.length > UTS_MAX) error(`${key} "${value}" is longer than ${UTS_MAX} characters (the kernel's limit)`, [key]);
        else if (!NAME.test(value)) error(`${key} "${value}" is not a host name (letters, digits, ".", "-", "_"; starting and ending with a letter or digit)`, [key]);
        else return true;
        return false;
      };
      if (uts !== 'new') {
        for (const key of ['hostname', 'domainname'] as const) {
          if (service[key]) error(`${key} cannot be set with ${uts === 'host' ? 'uts: host (the container shares the host\'s names)' : 'a joined UTS namespace'}`, [key]);
        }
        if (lookup(spec, '/hostname') !== undefined) out.push(ops.remove('/hostname'));
        if (lookup(spec, '/domainname') !== undefined) out.push(ops.remove('/domainname'));
        return out;
      }
      let hostname = service.hostname;
      if (hostname === undefined && namespaceState(spec, 'network') !== 'host') {
        const replica = scaleOf(service) > 1 && typeof env.containerId === 'string' && env.containerId !== '';
        hostname = (replica ? env.containerId! : serviceName).slice(0, UTS_MAX);
      }
      if (hostname !== undefined && check('hostname', hostname)) out.push(ops.set(spec, '/hostname', hostname));
      if (service.domainname !== undefined && service.domainname !== '' && check('domainname', service.domainname)) {
        out.push(ops.set(spec, '/domainname', service.domainname));
      }
      return out;
    },
  });
}
