import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';

const RLIMITS = new Set([
  'as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss',
  'rtprio', 'rttime', 'sigpending', 'stack',
]);

/** `ulimits` (number, or `{soft, hard}`) → `process.rlimits`, in the order the service lists them. */
export function rlimitsPlugin() {
  return definePlugin({
    name: 'ctnr:rlimits',
    stage: 'process',
    apply({ service, spec, error }) {
      const ulimits = service.ulimits;
      // One Object.keys for both questions: this runs for every service.
      const names = ulimits ? Object.keys(ulimits) : [];
      if (names.length === 0) return [];
      const byType = new Map<string, { type: string; soft: number; hard: number }>();
      for (const r of spec.process?.rlimits ?? []) byType.set(r.type, { ...r });
      for (const name of names) {
        const value = ulimits![name]!;
        const key = name.toLowerCase();
        if (!RLIMITS.has(key)) {
          error(`unknown ulimit "${name}" (known: ${[...RLIMITS].join(', ')})`, ['ulimits', name]);
          continue;
        }
        const { soft, hard } = typeof value === 'number' ? { soft: value, hard: value } : value;
        if (soft < 0 || hard < 0) {
          error('negative values (unlimited) are not supported: give the limit as a number', ['ulimits', name]);
          continue;
        }
        if (soft > hard) {
          error(`soft limit ${soft} is above hard limit ${hard}`, ['ulimits', name]);
          continue;
        }
        const type = `RLIMIT_${key.toUpperCase()}`;
        byType.set(type, { type, hard, soft });
      }
      return [ops.set(spec, '/process/rlimits', [...byType.values()])];
    },
  });
}
