import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CONVERTED_KEYS, fastKeys, fastService, userMapFingerprint } from '../../../src/compose/fast-service.js';
import { fingerprintHash, schemaFingerprint } from '../../../src/engine/schema-fingerprint.js';
import { loadComposeFile } from '../../../src/compose/load.js';
import { serviceSchemas } from '../../../src/compose/service.js';
import { REPO, SHARED, HAS_SHARED } from '../../helpers/shared.js';
import { canon } from '../../helpers/canon.js';

const { serviceSchema, serviceShape } = serviceSchemas();

/**
 * The loader's fast path (src/compose/fast-service.ts) must give exactly what the zod schema gives, or step aside:
 * for every service where fastService answers, the schema accepts the service and produces the same values, key
 * order and prototypes. Checked on tables of values for every converted key, on every service of the corpus and
 * the fixtures, on generated services, with zod's JIT and without (the CLI runs jitless).
 */

/** As the loader hands values over: mappings without a prototype (interpolate-tree.ts). */
function loaderShaped(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(loaderShaped);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = Object.create(null);
    for (const k of Object.keys(v)) out[k] = loaderShaped((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

let fastCount = 0;

/** fastService answers only where zod agrees exactly. Returns whether the fast path answered. */
function agrees(raw: Record<string, unknown>, label: string): boolean {
  const fast = fastService(raw);
  if (fast === undefined) return false;
  const parsed = serviceSchema.safeParse(raw);
  expect(parsed.success, `${label}: the fast path accepted what zod refuses: ${parsed.error?.issues[0]?.message}`).toBe(true);
  expect(canon(fast), label).toEqual(canon(parsed.data));
  fastCount++;
  return true;
}

const protoKey = JSON.parse('{"__proto__": "x", "a": "b"}') as Record<string, unknown>;

/** Values every converted key is tried with: valid ones, ones to coerce, invalid ones, and the corners. */
const VALUES: unknown[] = [
  null, true, false, 0, 1, -1, 1.5, 80, 65536, NaN, Infinity, -Infinity, 1e21, Number.MAX_SAFE_INTEGER + 2,
  '', ' ', 'x', 'a b', 'true', 'yes', 'no', 'off', '0', '1', '80', '80:80', '8080:80/udp', '127.0.0.1:80:80/tcp', '1000-1001:2000-2001', '80-81', 'x:y', '80/tcp',
  '/data', './data:/data', 'data:/data:ro', 'vol:/data:nocopy', './a:/b:rw,z', '/proc', '/:/x', './a:/', 'a:b', ':/x', 'C:\\x:/x', '~/x:/x', '/tmp:/tmp:rshared',
  'SIGTERM', 'kill', '9', 'RTMIN+3', '65', 'root', 'root:root', '1000:1000', 'a:b:c', ' u', 'u ', 'app-1', 'a', 'service:db', 'host',
  'echo "hi there"', "echo 'unterminated", 'sh -c "a && b"', 'a\\ b', '$x', 'service_started', 'service_healthy', '.env', 'busybox:1.36',
  [], ['a'], ['a', 'b'], ['a', 'a'], [1, 'a'], [1.5], [NaN], [null], [true], ['a=b', 'c'], ['=x'], ['a b=c'], [' k =v'], ['k=v=w'], ['dup=1', 'x=2', 'dup=3'],
  ['80', 8080], ['80-82:80-82'], ['80:x'], ['./a:/a', 'v:/v'], ['/proc'], ['/proc/cpuinfo'], [{ target: 80 }], [['x']], ['NET_ADMIN', 'SYS_TIME'], [''], ['8080/udp', 9000],
  ['SIGKILL'], [65535], [-1], ['db', 'cache'],
  {}, { a: 'b' }, { a: 1, b: true, c: null }, { a: 1.5 }, { a: NaN }, { a: Infinity }, { '': 'x' }, { ' ': 'x' }, { a: { b: 1 } }, { a: [1] }, { 1: 'x', b: 'y', 0: 'z' }, protoKey,
  { a: null, b: null }, { toString: 'x', constructor: 'y' },
  { db: { condition: 'service_started' } }, { db: { condition: 'service_healthy', restart: true } }, { db: { condition: 'service_completed_successfully', required: false, restart: 'yes' } },
  { db: { condition: 'nope' } }, { db: {} }, { db: { condition: 'service_started', 'x-a': 1 } }, { db: { condition: 'service_started', other: 1 } }, { db: null },
  { db: { condition: 'service_started', restart: 'maybe' } }, { db: { condition: 'service_started', required: null } }, { db: JSON.parse('{"condition": "service_started", "__proto__": 1}') },
  { front: null }, { front: { aliases: ['a'] } }, { front: null, back: null },
  { path: '.env' }, { source: 's' },
  { nofile: 4096 }, { nofile: '1024', nproc: -1 }, { nofile: ' +7 ' }, { nofile: 1.5 }, { nofile: '1e3' }, { NOFILE: 1 }, { no_file: 1 }, { nofile: { soft: 1, hard: 2 } },
  { nofile: { hard: '2', soft: 1 } }, { nofile: { soft: 1 } }, { nofile: { soft: 1, hard: 2, 'x-a': 1 } }, { nofile: { soft: 1, hard: 2, other: 1 } }, { nofile: null },
  { nofile: { soft: 1, hard: Number.MAX_SAFE_INTEGER + 2 } }, { nofile: JSON.parse('{"soft": 1, "hard": 2, "__proto__": 3}') },
  ['no-new-privileges'], ['seccomp=unconfined', 'label:disable', 'apparmor=x'], [' no-new-privileges:true '], ['UPPER=x', 'a=b=c', 'x\ny'],
  -0, 0.5, -0.5, 9007199, 9007199.5, 9007200, 1e300, '512m', '1.5g', '1gb', '2KiB', '1b', '1ib', '10 k', ' 64M ', '-1', '-1m', '1e3', ' 2 ', '0.5', '9007199', '9007200',
  { test: 'curl -f http://localhost', interval: '30s', retries: 3 }, { test: ['CMD', 'true'], timeout: '5s', start_period: '1m', start_interval: '1s' }, { test: ['NONE'] },
  { disable: true }, { disable: 'false', test: 'x' }, { disable: false, test: ['NONE'] }, { test: [] }, { test: ['BAD'] }, { interval: 5 }, { interval: 0, retries: '3' },
  { retries: -1 }, { retries: 1.5 }, { test: 'x', 'x-a': 1 }, { test: 'x', other: 1 }, { test: 'x', interval: null }, { test: ['CMD-SHELL', 'true', 1] }, { test: null },
  { service: 'web' }, { service: 'web', file: 'base.yaml' }, { service: 'web', file: 3 }, { service: 'web', 'x-a': 1 }, { service: 'web', other: 1 }, { file: 'x.yaml' },
  { context: '.', dockerfile: 'Dockerfile', args: { A: '1' } }, { 2: 'b', 1: 'a', z: null }, new Date(0), [{ context: '.' }],
  '99999999999999999999', '1m30s', '500ms', '1.5h', '-1s', '+0', '-0', '10', '1h1', '\u00b5s', '3\u00b5s', 'none', 'container:abc', ' host', 'service:', 'bridge-1',
];

describe('the fast path of the service schema', () => {
  it('every converter is in use: the schema of each converted key still has the structure its converter mirrors', () => {
    const off = CONVERTED_KEYS.filter((k) => !fastKeys().includes(k)).map((k) => {
      const f = schemaFingerprint(serviceShape[k as keyof typeof serviceShape], userMapFingerprint);
      return `${k}: the schema is now ${fingerprintHash(f)} ${f}`;
    });
    // A schema of service.ts changed under a converter of fast-service.ts: check the converter still gives what the
    // schema gives (this file's tables), then put the new hash beside it.
    expect(off, 'converters switched off by a changed schema').toEqual([]);
  });

  it('a typical service takes the fast path', () => {
    const raw = loaderShaped({
      'x-meta': { owner: 'me' },
      labels: { app: 'web' },
      image: 'nginx:1.27',
      command: ['nginx', '-g', 'daemon off;'],
      environment: { A: '1', B: 2, C: null },
      ports: ['8080:80', '443'],
      volumes: ['./html:/usr/share/nginx/html:ro', 'cache:/var/cache'],
      depends_on: ['db'],
      networks: ['front'],
      restart: 'always',
      user: '101:101',
      init: true,
      cap_drop: ['ALL'],
      stop_signal: 'SIGQUIT',
    }) as Record<string, unknown>;
    expect(agrees(raw, 'typical')).toBe(true);
    expect(Object.keys(fastService(raw)!)).toEqual(['image', 'command', 'environment', 'user', 'cap_drop', 'init', 'stop_signal', 'volumes', 'networks', 'ports', 'labels', 'restart', 'depends_on', 'x-meta']);
  });

  it('x-* keys are kept as written (the same object), after the schema keys', () => {
    const ext = { a: 1 };
    const raw = loaderShaped({ 'x-a': 0, image: 'x' }) as Record<string, unknown>;
    raw['x-b'] = ext;
    const out = fastService(raw)!;
    expect(Object.keys(out)).toEqual(['image', 'x-a', 'x-b']);
    expect(out['x-b' as keyof typeof out]).toBe(ext);
  });

  it('keys and shapes it does not know go to zod', () => {
    expect(fastService(loaderShaped({ image: 'x', extra_hosts: ['db:10.0.0.2'] }) as Record<string, unknown>)).toBeUndefined();
    expect(fastService(loaderShaped({ image: 'x', healthcheck: { test: 'true', interval: null } }) as Record<string, unknown>)).toBeUndefined();
    expect(fastService(loaderShaped({ ports: [{ target: 80 }] }) as Record<string, unknown>)).toBeUndefined();
    expect(fastService(loaderShaped({ privileged: 'maybe' }) as Record<string, unknown>)).toBeUndefined();
    expect(fastService(JSON.parse('{"__proto__": {"image": "x"}}') as Record<string, unknown>)).toBeUndefined();
  });

  for (const jitless of [false, true]) {
    describe(jitless ? 'zod without its JIT (as the CLI runs it)' : 'zod with its JIT', () => {
      let before: boolean | undefined;
      beforeAll(() => {
        before = z.config().jitless;
        z.config({ jitless });
      });
      afterAll(() => {
        z.config({ jitless: before });
      });

      it.each(CONVERTED_KEYS)('%s: every value of the table agrees with zod or goes to zod', (key) => {
        let fast = 0;
        for (const value of VALUES) {
          for (const shaped of [loaderShaped(value), value]) {
            const raw = Object.create(null) as Record<string, unknown>;
            raw[key] = shaped;
            if (agrees(raw, `${key}: ${JSON.stringify(value)}`)) fast++;
          }
        }
        expect(fast, `no value of the table took the fast path for ${key}`).toBeGreaterThan(0);
      });

      it('generated services: the fast path agrees with zod whenever it answers', () => {
        const value = fc.oneof(fc.constantFrom(...VALUES), fc.jsonValue({ maxDepth: 3 }));
        const key = fc.constantFrom(...CONVERTED_KEYS, 'x-ext', 'x-other', 'extra_hosts');
        let fast = 0;
        fc.assert(
          fc.property(fc.dictionary(key, value, { maxKeys: 8 }), (service) => {
            if (agrees(loaderShaped(service) as Record<string, unknown>, JSON.stringify(service))) fast++;
          }),
          { numRuns: 400, seed: 14 },
        );
        expect(fast).toBeGreaterThan(20);
      });
    });
  }

  it('every service of the fixtures and of the corpus: the fast path agrees with zod whenever it answers', () => {
    const files = [...yamlFiles(path.join(REPO, 'test/fixtures')), ...(HAS_SHARED ? yamlFiles(path.join(SHARED, 'corpus')) : [])];
    let services = 0;
    let fast = 0;
    for (const file of files) {
      let project;
      try {
        project = loadComposeFile(file, { environment: { HOME: '/home/u' } });
      } catch {
        continue;
      }
      for (const name of Object.keys(project.services)) {
        const raw = project.services[name];
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) continue;
        services++;
        if (agrees(raw, `${path.relative(REPO, file)} ${name}`)) fast++;
      }
    }
    expect(services).toBeGreaterThan(50);
    // Most services of real files are plain: most take the fast path.
    expect(fast / services).toBeGreaterThan(0.4);
  });

  it('the fast path answered in these tests', () => {
    expect(fastCount).toBeGreaterThan(100);
  });
});

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = path.join(dir, n);
      return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(n) && n !== 'case.yaml' ? [p] : [];
    });
}
