import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadComposeFile } from '../../../src/compose/load.js';
import { createEngine } from '../../../src/create-engine.js';
import { isCtnrError } from '../../../src/engine/errors.js';
import { checkProject } from '../../../src/policy/check.js';
import type { LoadedProject } from '../../../src/project.js';
import { defaultPreset } from '../../../presets/default.js';
import { restrictedPreset } from '../../../presets/restricted.js';
import { SHARED, sharedAvailable } from '../../helpers/shared.js';
import { TEST_ENV } from '../../helpers/engine.js';

function composeFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return composeFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

/**
 * `ctnr check` (its library function) with the restricted preset in audit mode over every compose file of
 * the shared corpus: no file may crash it (a bug, not a CtnrError), and the violation counts per control
 * are printed. Files the loader refuses and services that fail to generate are counted, not judged.
 */
describe.skipIf(!sharedAvailable('the compose corpus'))('ctnr check over ../shared/corpus', () => {
  it('runs on every file without crashing and prints violation counts', async () => {
    const files = composeFiles(path.join(SHARED, 'corpus'));
    expect(files.length).toBeGreaterThan(100);
    const engine = createEngine({ name: 'check', presets: [defaultPreset(), restrictedPreset({ mode: 'audit' })] });
    const perControl = new Map<string, number>();
    const perMode = new Map<string, number>();
    let loadErrors = 0;
    let services = 0;
    let serviceErrors = 0;
    for (const file of files) {
      let compose;
      try {
        compose = loadComposeFile(file, { cwd: path.dirname(file), environment: {} });
      } catch (err) {
        if (!isCtnrError(err)) throw new Error(`${file}: loader crashed: ${(err as Error).stack}`);
        loadErrors++;
        continue;
      }
      const project: LoadedProject = { compose, config: { config: {}, label: 'defaults' }, engine, env: { ...TEST_ENV, dataDir: '/tmp/ctnr-corpus-check' } };
      let report;
      try {
        // No images here: a stand-in image config gives every service something to run, so the policy sees it.
        report = await checkProject(project, [], { image: () => ({ Cmd: ['/bin/sh'] }) });
      } catch (err) {
        throw new Error(`${file}: check crashed: ${(err as Error).stack}`);
      }
      services += report.summary.services;
      serviceErrors += report.summary.errors;
      for (const s of report.services) {
        for (const v of s.violations) {
          perControl.set(v.control, (perControl.get(v.control) ?? 0) + 1);
          perMode.set(v.mode, (perMode.get(v.mode) ?? 0) + 1);
        }
      }
    }
    const rows = [...perControl.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    console.log([
      `ctnr check over ${files.length} corpus files: ${loadErrors} refused by the loader, ${services} services checked, ${serviceErrors} failed to generate`,
      ...rows.map(([c, n]) => `  ${c.padEnd(26)} ${n}`),
    ].join('\n'));
    expect(services).toBeGreaterThan(0);
    // Every violation was recorded in audit mode (the preset's mode), none dropped or re-moded.
    expect([...perMode.keys()]).toEqual(perMode.size ? ['audit'] : []);
  }, 300_000);
});
