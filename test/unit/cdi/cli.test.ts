import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctnr, project, requireBuild, tempRoot } from '../../cli/hardening-cli.js';
import { expectValidSpec } from '../../helpers/schema.js';

const SPEC = `cdiVersion: 0.6.0
kind: example.com/device
containerEdits:
  env: [EXAMPLE=1]
devices:
  - name: null0
    containerEdits:
      deviceNodes: [{path: /dev/cdi-null, hostPath: /dev/null}]
`;

const COMPOSE = 'services:\n  web:\n    command: ["true"]\n    devices: [example.com/device=null0]\n';

/** The built CLI: `ctnr spec` and `ctnr explain` with CDI spec directories from CTNR_CDI_SPEC_DIRS or the config; `ctnr keys`. */
describe.skipIf(!existsSync('/dev/null'))('ctnr spec / explain / keys with CDI devices', () => {
  const root = tempRoot('cdi-cli');
  let dir: string;
  let specs: string;
  beforeAll(() => {
    requireBuild();
    dir = project(root.dir, 'web', COMPOSE, { 'cdi/example.yaml': SPEC, 'empty/.keep': '' });
    specs = path.join(dir, 'cdi');
  });
  afterAll(() => root.cleanup());

  it('ctnr spec with CTNR_CDI_SPEC_DIRS: the device node, its rule and the env', () => {
    const r = ctnr(dir, ['spec', 'web'], { CTNR_CDI_SPEC_DIRS: `${path.join(dir, 'empty')}:${specs}` });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const spec = JSON.parse(r.stdout);
    expectValidSpec(spec);
    expect(spec.linux.devices).toEqual([{ path: '/dev/cdi-null', type: 'c', major: 1, minor: 3, fileMode: expect.any(Number) }]);
    expect(spec.linux.resources.devices.at(-1)).toEqual({ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' });
    expect(spec.process.env).toContain('EXAMPLE=1');
  });

  it('ctnr explain names the CDI spec file a value came from', () => {
    const r = ctnr(dir, ['explain', 'web', '/linux/devices'], { CTNR_CDI_SPEC_DIRS: specs });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`add /linux/devices/0 {"path":"/dev/cdi-null","type":"c","major":1,"minor":3,`);
    expect(r.stdout).toMatch(new RegExp(`by ctnr:cdi \\[cgroups; [^\\]]*\\] from ${path.join(specs, 'example.yaml')} devices\\[0\\]\\.containerEdits \\(example\\.com/device=null0\\)\\n`));
    const json = JSON.parse(ctnr(dir, ['explain', 'web', '/process/env', '--json'], { CTNR_CDI_SPEC_DIRS: specs }).stdout);
    expect(json.filter((t: { plugin: string }) => t.plugin === 'ctnr:cdi')).toMatchObject([
      { pointer: '/process/env/1', source: `${path.join(specs, 'example.yaml')} containerEdits (common edits of example.com/device)` },
    ]);
  });

  it('ctnr.config cdi.specDirs (relative to the config) when the variable is not set', () => {
    const withConfig = project(root.dir, 'config', COMPOSE, { 'cdi/example.yaml': SPEC, 'ctnr.config.json': JSON.stringify({ cdi: { specDirs: ['cdi'] } }) });
    const r = ctnr(withConfig, ['spec', 'web'], { CTNR_CDI_SPEC_DIRS: '' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).linux.devices).toMatchObject([{ path: '/dev/cdi-null' }]);
  });

  it('an unknown device fails with its location and the known devices', () => {
    const bad = project(root.dir, 'bad', COMPOSE.replace('null0', 'null9'));
    const r = ctnr(bad, ['spec', 'web'], { CTNR_CDI_SPEC_DIRS: specs });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('compose.yaml:4:15 [ctnr:cdi] services.web.devices[0]: unknown CDI device example.com/device=null9: example.com/device has null0');
  });

  it('ctnr keys lists devices, gpus and deploy.resources.reservations.devices as mapped', () => {
    const rows = JSON.parse(ctnr(dir, ['keys', 'mapped', '--json']).stdout) as Array<{ key: string }>;
    expect(rows.map((r) => r.key)).toEqual(expect.arrayContaining(['devices', 'gpus', 'deploy.resources.reservations.devices']));
    expect(ctnr(dir, ['keys', 'refused']).stdout).not.toMatch(/\bgpus\b/);
  });
});
