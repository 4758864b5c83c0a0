import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX } from '../helpers/rootfs.js';
import { BUILD_NETWORK } from '../../src/image/build-network.js';
import { bridgeName } from '../../src/network/default-conf.js';
import { e2eAvailable, which } from '../helpers/runc.js';
import { IN_CI } from '../helpers/shared.js';
import { registryAvailable, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { busyboxLayer, cli, errLines, requireBuild, scratch, type Scratch } from './images-helpers.js';

/**
 * `build:` with the host's podman (Debian's, as CI installs it), offline: Dockerfiles `FROM scratch` with a static
 * busybox. `ctnr build` stores the image under `<project>-<service>` (or `image:`), `spec` of a service not built
 * says how to build it, `up` and `run` build what is missing (`--build` again, `--no-build` never), and the
 * container runs what the Dockerfile built, with the build args of the compose file.
 */

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });

const ready = e2eAvailable('runc') && (() => {
  if (which('podman')) return true;
  if (IN_CI) throw new Error('the build e2e tests need podman, and CI=true: .ci/run must install it');
  console.warn('skipping build e2e: needs podman');
  return false;
})();

const DOCKERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
  'ARG GREETING=hi',
  'RUN echo "$GREETING from the build" > /greeting',
  // what network the RUN steps had: an eth0 with an address (ctnr's build network)
  'RUN (ip -4 addr show dev eth0 2>/dev/null | grep -c inet || true) > /net',
  'CMD ["cat", "/greeting"]',
  '',
].join('\n');

describe.skipIf(!ready)('build: images built by podman, then run (runc)', () => {
  let s: Scratch;
  let dir: string;
  const project = `cbld${process.pid}`;
  const compose = (greeting: string) =>
    writeFileSync(
      path.join(dir, 'compose.yaml'),
      [
        `name: ${project}`,
        'services:',
        '  web:',
        '    build:',
        '      context: ./app',
        '      args:',
        `        GREETING: ${greeting}`,
        '    network_mode: none',
        '  tool:',
        '    image: registry.example/team/tool:1',
        '    build:',
        '      context: ./app',
        '      dockerfile_inline: |',
        '        FROM scratch',
        '        COPY busybox /bin/busybox',
        '        CMD ["/bin/busybox", "echo", "the tool, built inline"]',
        '    network_mode: none',
        '  bad:',
        '    build:',
        '      context: ./app',
        '      dockerfile_inline: |',
        '        FROM scratch',
        '        COPY busybox /bin/busybox',
        '        RUN ["/bin/busybox", "false"]',
        '    network_mode: none',
        '',
      ].join('\n'),
    );
  const ctnr = (...args: string[]) => cli([...args, '--data-dir', s.dataDir], { env: s.env, cwd: dir, timeoutMs: 180_000 });
  const stored = async () => (JSON.parse((await cli(['images', '--json', '--data-dir', s.dataDir], { env: s.env })).stdout) as Array<{ reference: string }>).map((i) => i.reference);

  // The build network's bridge (src/image/build-network.ts) outlives a build, as podman's own does; the test
  // removes it when it made it.
  const bridge = bridgeName(BUILD_NETWORK);
  let bridgeWasThere = false;
  beforeAll(() => {
    requireBuild();
    bridgeWasThere = sh('ip', ['link', 'show', 'dev', bridge]).status === 0;
    s = scratch('ctnr-build-');
    dir = path.join(s.dir, 'project');
    mkdirSync(path.join(dir, 'app'), { recursive: true });
    copyFileSync(BUSYBOX!, path.join(dir, 'app', 'busybox'));
    writeFileSync(path.join(dir, 'app', 'Dockerfile'), DOCKERFILE);
    compose('hello');
  });
  afterAll(() => {
    s?.remove();
    if (!bridgeWasThere) sh('ip', ['link', 'del', bridge]);
  });

  it('spec of a service not built yet says how to build it; up --no-build starts nothing', async () => {
    const spec = await ctnr('spec', 'web');
    expect(spec.status).toBe(1);
    expect(errLines(spec.stderr)).toEqual([`error: compose.yaml:4:5 services.web.build: image ${project}-web is built from the service's build: and is not built yet: run ctnr build web (ctnr up, run and bundle create build what is missing)`]);
    const up = await ctnr('up', 'web', '--no-build', '--runtime', 'runc');
    expect(up.status).toBe(1);
    expect(up.stderr).toContain('is not built yet');
    expect(await stored()).toEqual([]);
  });

  it('ctnr build stores the image as <project>-<service>; run runs what the Dockerfile built, with the compose args', async () => {
    const built = await ctnr('build', 'web');
    expect(built.status, built.stderr).toBe(0);
    expect(built.stdout).toMatch(new RegExp(`^docker\\.io/library/${project}-web:latest sha256:[a-f0-9]{64}\\n$`));
    expect(built.stderr).toContain('STEP'); // podman's own output goes to stderr
    expect(await stored()).toEqual([`docker.io/library/${project}-web:latest`]);
    const run = await ctnr('run', 'web', '--rm', '--runtime', 'runc');
    expect(errLines(run.stderr)).toEqual([]);
    expect(run.stdout).toBe('hello from the build\n');
    // RUN steps had a network of ctnr's (a /24 of its pool), not podman's default, which takes all of 10.88.0.0/16
    const net = await cli(['run', 'web', '--rm', '--runtime', 'runc', '--data-dir', s.dataDir, '--', 'cat', '/net'], { env: s.env, cwd: dir });
    expect(net.stdout).toBe('1\n');
    expect(sh('ip', ['-4', 'route']).stdout).not.toMatch(/^10\.88\.0\.0\/16 /m);
  });

  it('a stored image is used as it is; --build builds it again with the new args', async () => {
    compose('bonjour');
    const again = await ctnr('run', 'web', '--rm', '--runtime', 'runc');
    expect(again.stdout).toBe('hello from the build\n');
    const rebuilt = await ctnr('run', 'web', '--rm', '--build', '--runtime', 'runc');
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toBe('bonjour from the build\n');
  });

  it('up builds a missing image under its image: name (an inline Dockerfile) and starts it', async () => {
    const up = await ctnr('up', 'tool', '--runtime', 'runc');
    expect(up.status, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/note: building docker\.io\/registry\.example\/team\/tool:1|note: building registry\.example\/team\/tool:1/);
    expect(up.stdout).toBe(`${project}-tool started\n`);
    expect(await stored()).toContain('registry.example/team/tool:1');
    const logs = await cli(['logs', 'tool', '--follow', '--no-log-prefix'], { env: s.env, cwd: dir });
    expect(logs.stdout).toBe('the tool, built inline\n');
    expect((await ctnr('down')).status).toBe(0);
  });

  it('a failing build is an error naming the service; nothing is stored for it, nothing left behind', async () => {
    const r = await ctnr('build', 'bad');
    expect(r.status).toBe(1);
    expect(errLines(r.stderr).at(-1)).toMatch(new RegExp(`^error: building docker\\.io/library/${project}-bad:latest for service bad: podman ended with status \\d+ \\(its output is above\\)$`));
    expect(await stored()).not.toContain(`docker.io/library/${project}-bad:latest`);
    expect(existsSync(path.join(s.dataDir, 'images'))).toBe(true);
  });
});

/**
 * A Dockerfile's base image comes through the config's registry mirrors, as ctnr's own pulls do: this machine has
 * no internet (and Docker Hub has no such image), so `FROM ctnr-e2e-base:1` (Docker Hub's, by its short name, which
 * Debian's podman alone does not resolve at all) builds only when podman asks the mirror (a local registry, plain
 * HTTP as ctnr uses for loopback registries) for `m/library/ctnr-e2e-base:1`.
 */
describe.skipIf(!ready || !registryAvailable('build through a mirror'))('build: base images through the config’s registry mirrors (podman)', () => {
  let s: Scratch;
  let reg: TestRegistry;
  let dir: string;
  const project = `cbmr${process.pid}`;
  const bridge = bridgeName(BUILD_NETWORK);
  let bridgeWasThere = false;
  beforeAll(async () => {
    requireBuild();
    bridgeWasThere = sh('ip', ['link', 'show', 'dev', bridge]).status === 0;
    s = scratch('ctnr-build-mirror-');
    reg = await startRegistry();
    await reg.pushImage('m/library/ctnr-e2e-base', '1', { layers: [busyboxLayer({ 'base-marker': 'from the mirrored base\n' })], config: { Cmd: ['sh'] } });
    dir = path.join(s.dir, 'project');
    mkdirSync(path.join(dir, 'app'), { recursive: true });
    writeFileSync(path.join(dir, 'app', 'Dockerfile'), ['FROM ctnr-e2e-base:1', 'RUN cp /base-marker /copied', 'CMD ["cat", "/copied"]', ''].join('\n'));
    writeFileSync(path.join(dir, 'compose.yaml'), [`name: ${project}`, 'services:', '  web:', '    build: ./app', '    network_mode: none', ''].join('\n'));
  });
  afterAll(async () => {
    await reg?.stop();
    s?.remove();
    if (!bridgeWasThere) sh('ip', ['link', 'del', bridge]);
  });
  const ctnr = (...args: string[]) => cli([...args, '--data-dir', s.dataDir], { env: s.env, cwd: dir, timeoutMs: 180_000 });

  it('FROM by a short name: the image builds from the mirror and runs', async () => {
    writeFileSync(path.join(dir, 'ctnr.config.json'), JSON.stringify({ registries: { 'docker.io': { mirrors: [`${reg.host}/m`] } } }));
    const built = await ctnr('build', 'web');
    expect(built.status, built.stderr).toBe(0);
    const run = await ctnr('run', 'web', '--rm', '--runtime', 'runc');
    expect(errLines(run.stderr)).toEqual([]);
    expect(run.stdout).toBe('from the mirrored base\n');
  });
});
