import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectValidSpec } from '../helpers/schema.js';
import { ctnr, project, requireBuild, SIMPLE, tempRoot } from './hardening-cli.js';

/*
 * ctnr reads one compose file. docker compose merges several (`-f a -f b`, and compose.override.yaml over the file
 * it finds): where a user may count on that merge, ctnr says it does not do it instead of leaving it out of the
 * bundle unsaid.
 */

const root = tempRoot('compose-files');
beforeAll(requireBuild);
afterAll(() => root.cleanup());

const OVERRIDE = 'services:\n  web:\n    environment: {FROM_OVERRIDE: "1"}\n';

describe('-f given twice is refused before anything runs', () => {
  // The -f flags go right after the command's words (exec passes what follows the service to the command).
  it.each([
    [['spec'], ['web', '-o', 'out.json']],
    [['spec'], ['--all', '-o', 'out']],
    [['check'], []],
    [['plan'], []],
    [['explain'], ['web']],
    [['bundle', 'create'], ['web', '-o', 'out']],
    [['build'], []],
    [['up'], ['-d']],
    [['run'], ['web']],
    [['down'], []],
    [['exec'], ['web', 'true']],
    [['pull'], []],
  ])('ctnr %j -f compose.yaml -f other.yaml %j', (command, rest) => {
    const dir = project(root.dir, `twice-${[...command, ...rest].join('-')}`, SIMPLE, { 'other.yaml': OVERRIDE });
    const r = ctnr(dir, [...command, '-f', 'compose.yaml', '-f', 'other.yaml', ...rest]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('-f is given twice ("compose.yaml", "other.yaml"): ctnr reads one compose file');
    expect(r.stdout).toBe('');
    for (const out of ['out', 'out.json']) expect(existsSync(path.join(dir, out)), out).toBe(false);
  });

  it('-f given once still works', () => {
    const dir = project(root.dir, 'once', SIMPLE);
    const r = ctnr(dir, ['spec', 'web', '-f', 'compose.yaml', '--no-rootless']);
    expect(r.status, r.stderr).toBe(0);
    expectValidSpec(JSON.parse(r.stdout));
  });
});

describe("an override file docker compose would merge over the file found", () => {
  it.each(['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yml', 'docker-compose.override.yaml'])('%s beside compose.yaml: a warning, and the spec of compose.yaml alone', (name) => {
    const dir = project(root.dir, `override-${name}`, SIMPLE, { [name]: OVERRIDE });
    const r = ctnr(dir, ['spec', 'web', '--no-rootless']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: ${name} is not read: docker compose would merge it over compose.yaml; ctnr reads one compose file`);
    const spec = JSON.parse(r.stdout);
    expectValidSpec(spec);
    expect(spec.process.env.join('\n')).not.toContain('FROM_OVERRIDE');
  });

  it('no warning when the compose file is named with -f, or when there is no override file', () => {
    const dir = project(root.dir, 'override-named', SIMPLE, { 'compose.override.yaml': OVERRIDE });
    const named = ctnr(dir, ['spec', 'web', '-f', 'compose.yaml', '--no-rootless']);
    expect([named.status, named.stderr]).toEqual([0, '']);
    const plain = ctnr(project(root.dir, 'no-override', SIMPLE), ['spec', 'web', '--no-rootless']);
    expect([plain.status, plain.stderr]).toEqual([0, '']);
  });
});

describe('check prints the warnings spec prints, on stderr', () => {
  it("the project's once, each service's, and a clean report on stdout", () => {
    const compose = 'version: "3"\nservices:\n  web:\n    command: ["true"]\n    pull_refresh_after: 1h\n  db:\n    command: ["true"]\n';
    const dir = project(root.dir, 'check-warnings', compose, { 'compose.override.yaml': OVERRIDE });
    const r = ctnr(dir, ['check', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.services.map((s: { service: string }) => s.service)).toEqual(['web', 'db']);
    const warnings = r.stderr.trim().split('\n');
    expect(warnings).toEqual([
      'warning: compose.yaml:1:1 version: the top-level "version" is obsolete and ignored',
      expect.stringMatching(/^warning: compose\.override\.yaml is not read: /),
      'warning: compose.yaml:5:5 services.web.pull_refresh_after: pull_refresh_after counts only with pull_policy: refresh; ignored',
    ]);
    const table = ctnr(dir, ['check']);
    expect(table.stdout).toMatch(/^SERVICE +CONTROL/);
    expect(table.stderr).toBe(r.stderr);
  });
});
