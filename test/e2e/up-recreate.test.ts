import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOciLayout } from '../unit/bundle/oci-layout.js';
import { ctnr, requireBuild, sandbox, type Sandbox } from '../unit/bundle/cli.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable } from '../helpers/runc.js';

/**
 * `ctnr up` again after the compose file, an env file or the image changed, as compose: a running container whose
 * service (after interpolation) or image changed is replaced (its pre_stop hook first), the others keep running;
 * a comment, another service's change or a reordering of keys replaces nothing; `--no-recreate` keeps every running
 * container, `--force-recreate` replaces every one. Under runc, images from the store.
 */
const ready = e2eAvailable('runc');
const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done'];

describe.skipIf(!ready)('up recreates what changed', () => {
  let sb: Sandbox;
  let cleanupRootfs: () => void;
  let project: string;
  let layout: string;
  let busybox: string;
  const up = (...args: string[]) => ctnr(['up', '--runtime', 'runc', '--data-dir', sb.dataDir, ...args], sb, { cwd: project });
  /** The runc pid of a container: a replaced container has another. */
  const pid = (id: string) => JSON.parse(spawnSync('runc', ['--root', path.join(sb.runRoot, 'runc'), 'state', id], { encoding: 'utf8' }).stdout || '{}').pid as number | undefined;
  /** GREETING in the environment of the container's process (runc exec gives its own process none of it). */
  const envOf = (id: string) => {
    const environ = spawnSync('runc', ['--root', path.join(sb.runRoot, 'runc'), 'exec', id, 'cat', '/proc/1/environ'], { encoding: 'utf8' }).stdout;
    return `${environ.split('\0').find((e) => e.startsWith('GREETING='))?.slice('GREETING='.length)}\n`;
  };
  /** The file with web's GREETING; `comment` adds a comment, `reorder` puts db first and web's keys in another order. */
  const compose = (greeting: string, comment = '', reorder = false, dbEnv = 'one') => {
    // One line a key, so that they can be put in another order.
    const keys = [
      '    image: rc/app:1',
      '    pull_policy: never',
      '    network_mode: none',
      `    command: ${JSON.stringify(IDLE)}`,
      `    environment: { GREETING: ${greeting}, FROM_FILE: "\${FROM_FILE:-unset}" }`,
      '    pre_stop: [{ command: ["sh", "-c", "echo bye from web"] }]',
    ];
    const web = ['  web:', ...(reorder ? [...keys].reverse() : keys)];
    const db = ['  db:', '    network_mode: none', '    pull_policy: never', `    command: ${JSON.stringify(IDLE)}`, '    image: rc/app:1', `    environment: [DB=${dbEnv}]`];
    // app follows db: replacing db replaces it (depends_on.restart), not web.
    const app = ['  app:', '    image: rc/app:1', '    pull_policy: never', '    network_mode: none', `    command: ${JSON.stringify(IDLE)}`, '    depends_on: { db: { condition: service_started, restart: true } }'];
    // side joins db's network namespace: replacing db replaces it.
    const side = ['  side:', '    image: rc/app:1', '    pull_policy: never', '    network_mode: service:db', `    command: ${JSON.stringify(IDLE)}`];
    const services = reorder ? [...db, ...web, ...app, ...side] : [...web, ...db, ...app, ...side];
    writeFileSync(path.join(project, 'compose.yaml'), ['name: rc', `# ${comment}`, 'services:', ...services, ''].join('\n'));
  };
  const importImage = (marker: string) => {
    writeFileSync(path.join(busybox, 'marker'), marker);
    writeOciLayout(layout, [{ ref: 'rc/app:1', layers: [busybox] }]);
    const r = ctnr(['image', 'import', layout, '--data-dir', sb.dataDir], sb, { cwd: project });
    expect(r.status, r.stderr).toBe(0);
  };

  beforeAll(() => {
    requireBuild();
    sb = sandbox();
    const built = buildBusyboxRootfs();
    busybox = built.rootfs;
    cleanupRootfs = built.cleanup;
    layout = path.join(sb.dir, 'layout');
    project = path.join(sb.dir, 'p');
    mkdirSync(project);
    importImage('v1');
    compose('hello');
  });

  afterAll(() => {
    if (sb) ctnr(['down', '--data-dir', sb.dataDir], sb, { cwd: project });
    sb?.cleanup();
    cleanupRootfs?.();
  });

  it('up twice: the second keeps every one running', () => {
    const first = up();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toBe('rc-web started\nrc-db started\nrc-app started\nrc-side started\n');
    const [web, db] = [pid('rc-web'), pid('rc-db')];
    const again = up();
    expect(again.stdout).toBe('rc-web already running\nrc-db already running\nrc-app already running\nrc-side already running\n');
    expect([pid('rc-web'), pid('rc-db')]).toEqual([web, db]);
  });

  it('a comment and a reordered service change nothing; an edited service is replaced, its pre_stop first', () => {
    const db = pid('rc-db');
    compose('hello', 'a comment now');
    expect(up().stdout).toBe('rc-web already running\nrc-db already running\nrc-app already running\nrc-side already running\n');
    compose('hello', '', true);
    expect(up().stdout).toBe('rc-db already running\nrc-web already running\nrc-app already running\nrc-side already running\n'); // the file's order
    compose('bonjour');
    const r = up();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('rc-web removed (its configuration changed)\nrc-web started\nrc-db already running\nrc-app already running\nrc-side already running\n');
    expect(r.stderr).toContain('bye from web');
    expect(envOf('rc-web')).toBe('bonjour\n');
    expect(pid('rc-db')).toBe(db);
  });

  it('an interpolated variable (.env) counts, as the value the service gets', () => {
    writeFileSync(path.join(project, '.env'), 'FROM_FILE=one\n');
    expect(up().stdout).toBe('rc-web removed (its configuration changed)\nrc-web started\nrc-db already running\nrc-app already running\nrc-side already running\n');
    expect(up().stdout).toBe('rc-web already running\nrc-db already running\nrc-app already running\nrc-side already running\n');
  });

  it('--no-recreate keeps a changed one; --force-recreate replaces every one; both at once is a usage error', () => {
    compose('hej');
    expect(up('--no-recreate').stdout).toBe('rc-web already running\nrc-db already running\nrc-app already running\nrc-side already running\n');
    const both = up('--no-recreate', '--force-recreate');
    expect([both.status, both.stderr]).toEqual([2, 'error: --force-recreate and --no-recreate exclude each other\n']);
    const forced = up('--force-recreate');
    const forcedLines = (id: string) => `${id} removed (--force-recreate)\n${id} started\n`;
    expect(forced.stdout).toBe(forcedLines('rc-web') + forcedLines('rc-db') + forcedLines('rc-app') + forcedLines('rc-side'));
    expect(envOf('rc-web')).toBe('hej\n');
  });

  it('a replaced dependency replaces the running dependents that set depends_on.restart or join its namespaces, not the others', () => {
    const web = pid('rc-web');
    compose('hej', '', false, 'two');
    const r = up();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      'rc-web already running\nrc-db removed (its configuration changed)\nrc-db started\nrc-app removed (db was replaced, and it has depends_on.db.restart)\nrc-app started\n' +
        'rc-side removed (db was replaced, and its network_mode is service:db)\nrc-side started\n',
    );
    expect(pid('rc-web')).toBe(web);
    // side is in the new db's network namespace.
    const netns = (id: string) => spawnSync('runc', ['--root', path.join(sb.runRoot, 'runc'), 'exec', id, 'readlink', '/proc/1/ns/net'], { encoding: 'utf8' }).stdout;
    expect(netns('rc-side')).toBe(netns('rc-db'));
  });

  it('an image stored again under another manifest replaces the containers that run it', () => {
    importImage('v2');
    const r = up();
    const changed = (id: string) => `${id} removed (its image docker.io/rc/app:1 changed)\n${id} started\n`;
    expect(r.stdout).toBe(changed('rc-web') + changed('rc-db') + changed('rc-app') + changed('rc-side'));
    const marker = spawnSync('runc', ['--root', path.join(sb.runRoot, 'runc'), 'exec', 'rc-db', 'cat', '/marker'], { encoding: 'utf8' }).stdout;
    expect(marker).toBe('v2');
    expect(JSON.parse(readFileSync(path.join(sb.dataDir, 'bundles', 'rc-db', 'ctnr.json'), 'utf8')).serviceHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
