import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI, ctnr, requireBuild, SIMPLE, tempRoot } from './hardening-cli.js';
import { expectValidSpec } from '../helpers/schema.js';

/**
 * The config search climbs from the project up to the first directory with a package.json: for a project in
 * /tmp/app without one, through /tmp, where any local user can leave a `ctnr.config.js`. A config found that way
 * must belong to the user running ctnr or to root (the file and a link to it); named with -c it is the user's choice.
 * Here `shared` is a sticky, world-writable directory like /tmp, `app` a project in it, `nobody` the other user.
 */
const root = process.getuid?.() === 0;
const NOBODY = 65534;

describe.skipIf(!root)('a config found by the search must be your own or root\'s', () => {
  const tmp = tempRoot('config-owner');
  let shared: string;
  let app: string;
  let marker: string;
  beforeAll(() => {
    requireBuild();
    chmodSync(tmp.dir, 0o755);
    shared = path.join(tmp.dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    app = path.join(shared, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'compose.yaml'), SIMPLE);
    marker = path.join(shared, 'config-ran'); // writable by the other user too
  });
  afterAll(() => tmp.cleanup());
  beforeEach(() => {
    for (const name of ['ctnr.config.js', 'ctnr.config.json', 'package.json', 'real.js', 'link.js']) rmSync(path.join(shared, name), { force: true });
    rmSync(path.join(app, 'package.json'), { force: true });
    rmSync(marker, { force: true });
  });

  /** A config in `shared` that leaves the marker when it runs and sets ORG=<who>. */
  const config = (who: string) =>
    `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n` +
    `module.exports = { plugins: [{ name: 'acme:org', stage: 'process', apply: () => [{ op: 'add', path: '/process/env/-', value: 'ORG=${who}' }] }] };\n`;
  const place = (name: string, text: string, uid: number) => {
    const file = path.join(shared, name);
    writeFileSync(file, text);
    chownSync(file, uid, uid);
    return file;
  };
  const refused = (file: string) => `error: ${file}: found by the config search, owned by uid ${NOBODY}, not by you (uid 0) or root`;

  it.each([
    ["another user's ctnr.config.js", () => place('ctnr.config.js', config('nobody'), NOBODY)],
    ["another user's ctnr.config.json naming a plugin package", () => place('ctnr.config.json', '{"presets": ["evil-preset"]}', NOBODY)],
    ["another user's package.json with a ctnr key", () => place('package.json', '{"ctnr": {"presets": ["default"]}}', NOBODY)],
    ['your own link to another user\'s file', () => {
      place('real.js', config('nobody'), NOBODY);
      symlinkSync('real.js', path.join(shared, 'ctnr.config.js'));
      return path.join(shared, 'ctnr.config.js');
    }],
    ["another user's link to your own file", () => {
      place('real.js', config('root'), 0);
      symlinkSync('real.js', path.join(shared, 'ctnr.config.js'));
      lchownSync(path.join(shared, 'ctnr.config.js'), NOBODY, NOBODY);
      return path.join(shared, 'ctnr.config.js');
    }],
  ])('%s: refused before anything of it runs', (_what, make) => {
    const file = make();
    const r = ctnr(app, ['spec', 'web']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(refused(file));
    expect(existsSync(marker)).toBe(false);
  });

  it('the same file named with -c is loaded: the user chose it', () => {
    const file = place('ctnr.config.js', config('nobody'), NOBODY);
    const r = ctnr(app, ['spec', 'web', '-c', file]);
    expect(r.stderr).toBe('');
    const spec = JSON.parse(r.stdout);
    expectValidSpec(spec);
    expect(spec.process.env).toContain('ORG=nobody');
  });

  it("your own config and root's are found and loaded", () => {
    place('ctnr.config.js', config('root'), 0);
    const r = ctnr(app, ['spec', 'web']);
    expect(r.stderr).toBe('');
    const spec = JSON.parse(r.stdout);
    expectValidSpec(spec);
    expect(spec.process.env).toContain('ORG=root');
    expect(existsSync(marker)).toBe(true);
  });

  it("another user's package.json without a ctnr key only ends the search (nothing of it is loaded)", () => {
    place('package.json', '{"name": "theirs"}', NOBODY);
    place('ctnr.config.js', config('nobody'), NOBODY);
    writeFileSync(path.join(app, 'package.json'), '{}');
    expect(ctnr(app, ['spec', 'web']).status).toBe(0);
    rmSync(path.join(app, 'package.json'));
    // Without the project's own package.json the search reaches `shared`, whose package.json has no ctnr key,
    // and its ctnr.config.js is refused.
    expect(ctnr(app, ['spec', 'web']).stderr).toContain(refused(path.join(shared, 'ctnr.config.js')));
    expect(existsSync(marker)).toBe(false);
  });

  it('under sudo, the config of the user who ran it is trusted too (SUDO_UID), and only theirs', () => {
    place('ctnr.config.js', config('nobody'), NOBODY);
    const viaSudo = ctnr(app, ['spec', 'web'], { SUDO_UID: String(NOBODY) });
    expect(viaSudo.stderr).toBe('');
    expectValidSpec(JSON.parse(viaSudo.stdout));
    expect(JSON.parse(viaSudo.stdout).process.env).toContain('ORG=nobody');
    const other = ctnr(app, ['spec', 'web'], { SUDO_UID: '1' });
    expect(other.status).toBe(1);
    expect(other.stderr).toContain(`owned by uid ${NOBODY}, not by you (uid 0, or uid 1 who ran sudo) or root`);
  });

  it("a preset package node finds in another user's node_modules up the tree is refused; installed in the project it loads", () => {
    // The project stops the config search (its own package.json and config), but node still looks for packages above.
    const project = path.join(shared, 'with-preset');
    mkdirSync(project, { recursive: true });
    writeFileSync(path.join(project, 'compose.yaml'), SIMPLE);
    writeFileSync(path.join(project, 'package.json'), '{}');
    writeFileSync(path.join(project, 'ctnr.config.json'), '{"presets": ["default", "acme-preset"]}');
    const preset = (who: string) =>
      `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n` +
      `module.exports = { name: 'acme', plugins: [{ name: 'acme:org', stage: 'process', apply: () => [{ op: 'add', path: '/process/env/-', value: 'ORG=${who}' }] }] };\n`;
    const theirs = path.join(shared, 'node_modules', 'acme-preset');
    mkdirSync(theirs, { recursive: true });
    writeFileSync(path.join(theirs, 'package.json'), '{"name": "acme-preset", "main": "index.js"}');
    writeFileSync(path.join(theirs, 'index.js'), preset('nobody'));
    spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, path.join(shared, 'node_modules')]);
    try {
      const refusedRun = ctnr(project, ['spec', 'web']);
      expect(refusedRun.status).toBe(1);
      expect(refusedRun.stderr).toContain(`preset package "acme-preset" resolves to ${path.join(theirs, 'index.js')}, owned by uid ${NOBODY}, not by you (uid 0) or root`);
      expect(existsSync(marker)).toBe(false);
      const ours = path.join(project, 'node_modules', 'acme-preset');
      mkdirSync(ours, { recursive: true });
      writeFileSync(path.join(ours, 'package.json'), '{"name": "acme-preset", "main": "index.js"}');
      writeFileSync(path.join(ours, 'index.js'), preset('project'));
      const loaded = ctnr(project, ['spec', 'web']);
      expect(loaded.stderr).toBe('');
      expectValidSpec(JSON.parse(loaded.stdout));
      expect(JSON.parse(loaded.stdout).process.env).toContain('ORG=project');
    } finally {
      rmSync(path.join(shared, 'node_modules'), { recursive: true, force: true });
      rmSync(project, { recursive: true, force: true });
    }
  });

  it("a code config is refused while another user's node_modules is where node would look for its imports, named with -c too", () => {
    const project = path.join(shared, 'with-code');
    mkdirSync(project, { recursive: true });
    writeFileSync(path.join(project, 'compose.yaml'), SIMPLE);
    writeFileSync(path.join(project, 'package.json'), '{}');
    // The config imports a package the project lacks: node would take the one in shared/node_modules.
    const file = path.join(project, 'ctnr.config.js');
    writeFileSync(file, `const org = require('acme-org');\nmodule.exports = { plugins: [{ name: 'acme:org', stage: 'process', apply: () => [{ op: 'add', path: '/process/env/-', value: 'ORG=' + org }] }] };\n`);
    const theirs = path.join(shared, 'node_modules', 'acme-org');
    mkdirSync(theirs, { recursive: true });
    writeFileSync(path.join(theirs, 'package.json'), '{"name": "acme-org", "main": "index.js"}');
    writeFileSync(path.join(theirs, 'index.js'), `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\nmodule.exports = 'nobody';\n`);
    spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, path.join(shared, 'node_modules')]);
    try {
      for (const args of [['spec', 'web'], ['spec', 'web', '-c', file]]) {
        const r = ctnr(project, args);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(`error: ${file}: node looks for the packages this config imports in ${path.join(shared, 'node_modules')}, owned by uid ${NOBODY}, not by you (uid 0) or root`);
        expect(existsSync(marker)).toBe(false);
      }
      // A data config is not code: only the preset packages it names are looked at.
      rmSync(file);
      writeFileSync(path.join(project, 'ctnr.config.json'), '{"presets": ["default"]}');
      const data = ctnr(project, ['spec', 'web']);
      expect(data.stderr).toBe('');
      expectValidSpec(JSON.parse(data.stdout));
      // Once the directory is root's (or gone), the code config loads.
      rmSync(path.join(project, 'ctnr.config.json'));
      writeFileSync(file, `const org = require('acme-org');\nmodule.exports = { plugins: [{ name: 'acme:org', stage: 'process', apply: () => [{ op: 'add', path: '/process/env/-', value: 'ORG=' + org }] }] };\n`);
      spawnSync('chown', ['-R', '0:0', path.join(shared, 'node_modules')]);
      const loaded = ctnr(project, ['spec', 'web']);
      expect(loaded.stderr).toBe('');
      expectValidSpec(JSON.parse(loaded.stdout));
      expect(JSON.parse(loaded.stdout).process.env).toContain('ORG=nobody');
    } finally {
      rmSync(path.join(shared, 'node_modules'), { recursive: true, force: true });
      rmSync(project, { recursive: true, force: true });
    }
  });

  it("run as another user, root's config is trusted and a third user's is not", () => {
    place('ctnr.config.js', config('root'), 0);
    const asNobody = (cwd: string) =>
      spawnSync(process.execPath, [CLI, 'spec', 'web'], { cwd, encoding: 'utf8', uid: NOBODY, gid: NOBODY, env: { PATH: process.env.PATH, HOME: tmp.dir, NO_COLOR: '1' } });
    const mine = asNobody(app);
    expect(mine.stderr).toBe('');
    expectValidSpec(JSON.parse(mine.stdout));
    expect(JSON.parse(mine.stdout).process.env).toContain('ORG=root');
    chownSync(path.join(shared, 'ctnr.config.js'), 1, 1);
    const theirs = asNobody(app);
    expect(theirs.status).toBe(1);
    expect(theirs.stderr).toContain(`error: ${path.join(shared, 'ctnr.config.js')}: found by the config search, owned by uid 1, not by you (uid ${NOBODY}) or root`);
  });
});
