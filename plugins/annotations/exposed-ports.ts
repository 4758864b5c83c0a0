import { definePlugin } from '../../src/engine/define.js';
import { EXPOSED_PORTS_ANNOTATION, setAnnotations } from '../../src/spec/annotations.js';

const PROTOCOLS = ['tcp', 'udp', 'sctp'];
/** A range bigger than this is almost certainly a typo; docker would list every port of it. */
const MAX_RANGE = 1024;

/**
 * Image ExposedPorts keys plus `expose` → `org.opencontainers.image.exposedPorts`: `PORT/PROTO` (protocol
 * defaults to tcp, ranges expanded), deduplicated, sorted by port then protocol, comma-separated. Metadata only:
 * exposing publishes nothing.
 */
export function exposedPortsPlugin() {
  return definePlugin({
    name: 'ctnr:exposed-ports',
    stage: 'annotations',
    after: ['ctnr:annotations'],
    apply({ service, image, spec, error }) {
      const ports = new Map<string, [number, string]>();
      const add = (raw: string, where: ReadonlyArray<string | number> | undefined, what: string) => {
        const m = /^(\d+)(?:-(\d+))?(?:\/([a-z]+))?$/i.exec(raw.trim());
        const lo = m ? Number(m[1]) : NaN;
        const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
        const proto = (m?.[3] ?? 'tcp').toLowerCase();
        if (!m || lo < 1 || hi > 65535 || hi < lo || !PROTOCOLS.includes(proto)) {
          return error(`${what} "${raw}" is not a port (expected PORT[-PORT][/tcp|udp|sctp], ports 1-65535)`, where);
        }
        if (hi - lo >= MAX_RANGE) return error(`${what} "${raw}" spans ${hi - lo + 1} ports (at most ${MAX_RANGE})`, where);
        for (let p = lo; p <= hi; p++) ports.set(`${p}/${proto}`, [p, proto]);
      };
      for (const key of Object.keys(image?.ExposedPorts ?? {})) add(key, undefined, 'image ExposedPorts entry');
      (service.expose ?? []).forEach((e, i) => add(String(e), ['expose', i], 'expose entry'));
      if (ports.size === 0) return [];
      const value = [...ports.values()]
        .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
        .map(([p, proto]) => `${p}/${proto}`)
        .join(',');
      return setAnnotations(spec, [[EXPOSED_PORTS_ANNOTATION, value]]);
    },
  });
}
