import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INIT_DESTINATION } from '../../../plugins/process/init.js';
import { main } from '../../../src/cli/main.js';
import { openProject, runService } from '../../../src/project.js';
import { expectValidSpec } from '../../helpers/schema.js';
import { STATIC, put } from './elf-fixtures.js';

const project = mkdtempSync(path.join(os.tmpdir(), 'ctnr-init-project-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const compose = path.join(project, 'compose.yaml');
writeFileSync(compose, 'services:\n  web:\n    command: ["httpd", "-f"]\n    init: true\n');
writeFileSync(path.join(project, 'ctnr.config.json'), JSON.stringify({ init: { path: 'tools/init' } }));
const fromConfig = put(path.join(project, 'tools'), 'init', STATIC());
const fromFlag = put(path.join(project, 'other'), 'tini-static', STATIC());

const initSource = (spec: { mounts?: Array<{ destination: string; source?: string }> }) => spec.mounts?.find((m) => m.destination === INIT_DESTINATION)?.source;

describe('init.path in ctnr.config and --init-path', () => {
  it('init.path resolves against the config file directory and reaches the plugin as env.initPath', async () => {
    const p = await openProject({ file: compose, cwd: '/' });
    expect(p.env.initPath).toBe(fromConfig);
    const { result } = await runService(p, 'web');
    expect(result.spec.process!.args).toEqual([INIT_DESTINATION, '--', 'httpd', '-f']);
    expect(initSource(result.spec)).toBe(fromConfig);
  });

  it('an env.initPath given by the caller (the CLI flag) wins over the config', async () => {
    const p = await openProject({ file: compose, env: { initPath: fromFlag } });
    expect(p.env.initPath).toBe(fromFlag);
  });

  it('ctnr spec --init-path FILE binds that file', async () => {
    const out = path.join(project, 'spec.json');
    // Relative to the cwd, like every other path flag.
    const rel = path.relative(process.cwd(), fromFlag);
    const code = await main(['spec', 'web', '-f', compose, '--init-path', rel, '-o', out]);
    expect(code).toBe(0);
    const spec = JSON.parse(readFileSync(out, 'utf8'));
    expectValidSpec(spec);
    expect(initSource(spec)).toBe(fromFlag);
    expect(spec.process.args.slice(0, 2)).toEqual([INIT_DESTINATION, '--']);
  });
});
