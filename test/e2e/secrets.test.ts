import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundle } from '../../src/bundle/create.js';
import { openProject } from '../../src/project.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable, parseFacts } from '../helpers/runc.js';

/**
 * A real bundle written by the bundle writer (createBundle) from a compose file with secrets and configs, run
 * with `runc run`; a probe running as uid 1000 reads, stats and tries to write every mounted file.
 */
const FILES = ['/run/secrets/db_password', '/run/secrets/token', '/etc/app/app.conf', '/run/secrets/root_only', '/etc/app/writable.conf'];

const PROBE = [
  'echo uid=$(id -u)',
  'echo db=$(cat /run/secrets/db_password)',
  'echo token=$(cat /run/secrets/token)',
  'echo conf=$(cat /etc/app/app.conf)',
  'if cat /run/secrets/root_only >/dev/null 2>&1; then echo root_only=readable; else echo root_only=denied; fi',
  `for f in ${FILES.join(' ')}; do`,
  '  echo "stat:$f=$(stat -c \'%a %u %g\' $f)"',
  '  if (echo x >> $f) 2>/dev/null; then echo "write:$f=ok"; else echo "write:$f=fail"; fi',
  '  echo "opts:$f=$(awk -v m=$f \'$5==m {print $6}\' /proc/self/mountinfo)"',
  'done',
  // Owner 1000 with mode 0600: only the read-only mount can stop this write.
  'echo "rofs=$( (echo x >> /etc/app/writable.conf) 2>&1 )"',
  'if rm -f /run/secrets/token 2>/dev/null; then echo rm=ok; else echo rm=fail; fi',
].join('\n');

describe.skipIf(!e2eAvailable('runc'))('secrets and configs in a bundle under runc', () => {
  let rootfs: string;
  let cleanupRootfs: () => void;
  let work: string;
  let bundle: string;
  let facts: Record<string, string>;
  let run: { status: number | null; stdout: string; stderr: string };
  const dbValue = `db-${randomBytes(12).toString('hex')}`;
  const tokenValue = `tok-${randomBytes(12).toString('hex')}`;
  const tokenVar = `CTNR_E2E_TOKEN_${process.pid}`;

  beforeAll(async () => {
    ({ rootfs, cleanup: cleanupRootfs } = buildBusyboxRootfs());
    work = mkdtempSync(path.join(os.tmpdir(), 'ctnr-secrets-e2e-'));
    const project = path.join(work, 'project');
    bundle = path.join(work, 'bundle');
    mkdirSync(project);
    writeFileSync(path.join(project, 'db_password.txt'), dbValue, { mode: 0o600 });
    writeFileSync(
      path.join(project, 'compose.yaml'),
      [
        'services:',
        '  app:',
        '    image: busybox',
        '    user: "1000"',
        // `$$` keeps compose interpolation away from the shell's own variables.
        `    entrypoint: ["/bin/sh", "-c", ${JSON.stringify(PROBE.replaceAll('$', '$$$$'))}]`,
        '    secrets:',
        '      - db_password',
        '      - source: token',
        '        uid: "1000"',
        // a bare 0400 is octal, as in docker compose
        '        mode: 0400',
        '      - source: db_password',
        '        target: root_only',
        '        mode: 0400',
        '    configs:',
        '      - source: app_conf',
        '        target: /etc/app/app.conf',
        '        uid: "1000"',
        '        mode: 0400',
        '      - source: app_conf',
        '        target: /etc/app/writable.conf',
        '        uid: "1000"',
        '        mode: "0600"',
        'secrets:',
        '  db_password:',
        '    file: ./db_password.txt',
        '  token:',
        `    environment: ${tokenVar}`,
        'configs:',
        '  app_conf:',
        '    content: |',
        '      listen ${APP_PORT:-8080}',
        '',
      ].join('\n'),
    );
    process.env[tokenVar] = tokenValue;
    try {
      const loaded = await openProject({ cwd: project, env: { rootless: false, dataDir: path.join(work, 'data') } });
      await createBundle(loaded, 'app', { dir: bundle, rootfs });
    } finally {
      delete process.env[tokenVar];
    }
    const id = `ctnr-secrets-${process.pid}`;
    try {
      const r = spawnSync('runc', ['run', '--bundle', bundle, id], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
      run = { status: r.status, stdout: r.stdout, stderr: r.stderr + (r.error ? String(r.error) : '') };
    } finally {
      spawnSync('runc', ['delete', '-f', id], { stdio: 'ignore' });
    }
    facts = parseFacts(run.stdout);
  }, 60_000);

  afterAll(() => {
    cleanupRootfs?.();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the container ran', () => {
    expect(run.stderr, run.stdout).toBe('');
    expect(run.status).toBe(0);
    expect(facts.uid).toBe('1000');
  });

  it('user 1000 reads the file secret, the environment secret and the inline config (interpolated)', () => {
    expect(facts.db).toBe(dbValue);
    expect(facts.token).toBe(tokenValue);
    expect(facts.conf).toBe('listen 8080');
  });

  it('owner and mode are honoured: 0444 root by default, 0400 for uid 1000, a root-only 0400 is unreadable', () => {
    expect(facts['stat:/run/secrets/db_password']).toBe('444 0 0');
    expect(facts['stat:/run/secrets/token']).toBe('400 1000 0');
    expect(facts['stat:/etc/app/app.conf']).toBe('400 1000 0');
    expect(facts['stat:/run/secrets/root_only']).toBe('400 0 0');
    expect(facts['stat:/etc/app/writable.conf']).toBe('600 1000 0');
    expect(facts.root_only).toBe('denied');
  });

  it('every file is a read-only nosuid,nodev,noexec mount: writing and removing fail, even for the owner', () => {
    for (const f of FILES) {
      expect(facts[`write:${f}`], f).toBe('fail');
      const opts = facts[`opts:${f}`]!.split(',');
      expect(opts, f).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    }
    expect(facts.rofs).toMatch(/Read-only file system/);
    expect(facts.rm).toBe('fail');
  });

  it('in the bundle: secrets in a 0700 folder, configs beside them; the host file is copied, never bound', () => {
    expect(statSync(path.join(bundle, 'secrets')).mode & 0o777).toBe(0o700);
    expect(readdirSync(path.join(bundle, 'secrets')).sort()).toEqual(['db_password', 'db_password-2', 'token']);
    expect(readFileSync(path.join(bundle, 'secrets/db_password'), 'utf8')).toBe(dbValue);
    expect(readFileSync(path.join(bundle, 'secrets/token'), 'utf8')).toBe(tokenValue);
    const tok = statSync(path.join(bundle, 'secrets/token'));
    expect([tok.mode & 0o7777, tok.uid, tok.gid]).toEqual([0o400, 1000, 0]);
    const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    const sources = spec.mounts.filter((m: { destination: string }) => FILES.includes(m.destination)).map((m: { source: string }) => m.source);
    expect(sources.sort()).toEqual(['configs/app_conf', 'configs/app_conf-2', 'secrets/db_password', 'secrets/db_password-2', 'secrets/token']);
    expect(JSON.stringify(spec)).not.toContain('db_password.txt');
  });

  it('config.json and ctnr.json hold no secret value', () => {
    for (const f of ['config.json', 'ctnr.json']) {
      const text = readFileSync(path.join(bundle, f), 'utf8');
      expect(text, f).not.toContain(dbValue);
      expect(text, f).not.toContain(tokenValue);
    }
  });
});
