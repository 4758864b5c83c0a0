import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openProject } from '../../../src/project.js';
import { checkProject } from '../../../src/policy/check.js';

/** `ctnr check` reports what `ctnr up` would refuse before starting anything, not only what the pipeline refuses. */
describe('checkProject: the keys only starting a container reads', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-check-start-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'package.json'), '{}\n');
  writeFileSync(
    path.join(dir, 'compose.yaml'),
    [
      'services:',
      '  fine:',
      '    command: ["true"]',
      '    restart: on-failure:3',
      '    logging: {driver: local, options: {max-file: "2"}}',
      '  sometimes:',
      '    command: ["true"]',
      '    restart: sometimes',
      '  huge:',
      '    command: ["true"]',
      '    logging:',
      '      options:',
      '        max-size: 10x',
      '  sandboxed:',
      '    command: ["true"]',
      '    runtime: runsc',
      '  twins:',
      '    command: ["true"]',
      '    container_name: one',
      '    scale: 2',
      '',
    ].join('\n'),
  );

  it.each([
    { service: 'fine', error: undefined },
    { service: 'sometimes', error: /^compose\.yaml:8:\d+ services\.sometimes\.restart: "sometimes" is not a restart policy/ },
    { service: 'huge', error: /^compose\.yaml:13:\d+ services\.huge\.logging\.options\.max-size: "10x" is not a byte size/ },
    { service: 'sandboxed', error: /^compose\.yaml:16:\d+ services\.sandboxed\.runtime: runtime "runsc" is not one ctnr runs/ },
    { service: 'twins', error: /container_name/ },
  ])('$service', async ({ service, error }) => {
    const project = await openProject({ cwd: dir, env: { rootless: false, uid: 0, gid: 0 } });
    const report = await checkProject(project, [service]);
    const found = report.services[0]!;
    if (error === undefined) expect(found.error).toBeUndefined();
    else expect(found.error?.message).toMatch(error);
    expect(report.summary.errors).toBe(error === undefined ? 0 : 1);
  });
});
