import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectValidSpec } from '../helpers/schema.js';
import { ctnr, project, requireBuild, tempRoot } from './hardening-cli.js';

/*
 * A command that names its services reads a large compose file in parts (src/compose/split-parse.ts): the spec it
 * prints is the one the whole file gives, errors are located at the file's own lines, and an entry it does not
 * read is not checked (`check` checks them all).
 */

const FILLER = 1600;

/** A file of some 160 KB: an anchor in the top level and one in a service, FILLER services, then `extends` chains. */
function large(tail = ''): string {
  const lines = [
    'x-env: &env',
    '  TIER: "${TIER:-test}"',
    'services:',
    '  base: &base',
    '    command: ["sleep", "1"]',
    '    environment: *env',
    '    user: "1000:1000"',
  ];
  for (let i = 0; i < FILLER; i++) lines.push(`  svc-${i}:`, '    command: ["sleep", "1"]', '    environment:', `      N: "${i}"`, '    labels:', `      app: a${i}`);
  lines.push(
    '  web:',
    '    <<: *base',
    '    command: ["httpd", "-f", "-p", "8080"]',
    '  db:',
    '    extends: base',
    '    working_dir: /data',
    '  replica:',
    '    extends: db',
    '    environment: {ROLE: replica}',
  );
  return lines.join('\n') + '\n' + tail;
}

const root = tempRoot('read-in-parts');
beforeAll(requireBuild);
afterAll(() => root.cleanup());
const NO_CACHE = { CTNR_NO_PARSE_CACHE: '1' };

describe('a large file read in parts by the commands that name services', () => {
  it('spec SERVICE prints what spec --all (the whole file) writes for it', () => {
    const dir = project(root.dir, 'same', large());
    expect(readFileSync(path.join(dir, 'compose.yaml'), 'utf8').length).toBeGreaterThan(128 * 1024);
    const out = path.join(dir, 'out');
    mkdirSync(out);
    const all = ctnr(dir, ['spec', '--all', '-o', out, '--no-rootless'], NO_CACHE);
    expect(all.status, all.stderr).toBe(0);
    for (const name of ['web', 'db', 'replica', 'svc-7']) {
      const one = ctnr(dir, ['spec', name, '--no-rootless'], { ...NO_CACHE, TIER: 'prod' });
      expect(one.status, one.stderr).toBe(0);
      const spec = JSON.parse(one.stdout);
      expectValidSpec(spec);
      const whole = JSON.parse(readFileSync(path.join(out, `${name}.json`), 'utf8'));
      // The same spec, but for the variable this run set.
      expect(JSON.stringify(spec)).toBe(JSON.stringify(whole).replace('TIER=test', 'TIER=prod'));
    }
    const web = JSON.parse(ctnr(dir, ['spec', 'web', '--no-rootless'], NO_CACHE).stdout);
    expect(web.process.args).toEqual(['httpd', '-f', '-p', '8080']);
    expect(web.process.user).toMatchObject({ uid: 1000, gid: 1000 });
    expect(web.process.env).toContain('TIER=test');
    const db = JSON.parse(ctnr(dir, ['spec', 'db', '--no-rootless'], NO_CACHE).stdout);
    expect([db.process.cwd, db.process.args]).toEqual(['/data', ['sleep', '1']]);
    const replica = JSON.parse(ctnr(dir, ['spec', 'replica', '--no-rootless'], NO_CACHE).stdout);
    expect(replica.process.cwd).toBe('/data');
    expect(replica.process.env).toEqual(expect.arrayContaining(['TIER=test', 'ROLE=replica']));
  });

  it("an error in the named service is located at the file's own line", () => {
    const dir = project(root.dir, 'bad-port', large('  api:\n    command: ["true"]\n    ports: ["80:x"]\n'));
    const line = readFileSync(path.join(dir, 'compose.yaml'), 'utf8').split('\n').indexOf('    ports: ["80:x"]') + 1;
    const r = ctnr(dir, ['spec', 'api'], NO_CACHE);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`compose.yaml:${line}:`);
    expect(r.stderr).toContain('services.api.ports[0]');
  });

  it('an entry no command reads is not checked by spec SERVICE; check and spec of that service fail at its line', () => {
    const dir = project(root.dir, 'broken-elsewhere', large('  broken:\n    command: ["true"]\n    command: ["false"]\n'));
    const line = readFileSync(path.join(dir, 'compose.yaml'), 'utf8').split('\n').lastIndexOf('    command: ["false"]') + 1;
    expect(ctnr(dir, ['spec', 'web', '--no-rootless'], NO_CACHE).status).toBe(0);
    for (const args of [['spec', 'broken'], ['check']]) {
      const r = ctnr(dir, args, NO_CACHE);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain(`compose.yaml:${line}:5`);
      expect(r.stderr).toContain('duplicate key "command"');
    }
  });

  it('a service the file resets (NAME: !reset) is not one of its services, as with the file read whole', () => {
    const dir = project(root.dir, 'reset', large('  cache: !reset null\n'));
    const r = ctnr(dir, ['spec', 'nope'], NO_CACHE);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no service "nope" in compose\.yaml \(services: base, svc-0, .*, web, db, replica\)/);
    expect(r.stderr).not.toMatch(/\bcache\b/);
    expect(ctnr(dir, ['spec', 'cache'], NO_CACHE).stderr).toContain('no service "cache"');
  });
});
