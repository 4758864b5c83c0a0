import { describe, expect, it } from 'vitest';
import { parseCompose } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';

/** `post_start` / `pre_stop` entries (compose-spec `service_hook`) as the loader hands them to plugins. */
function hooks(yaml: string) {
  const project = parseCompose(yaml, '/proj/compose.yaml', 'compose.yaml', { environment: {}, allowUnsupported: true });
  return selectService(project, 's').input.service;
}

const file = (entries: string) => `services:\n  s:\n    image: x\n    post_start:\n${entries}`;

describe('post_start / pre_stop entries', () => {
  it('long and short commands, user, privileged (string forms too), working_dir, environment (list or map)', () => {
    const s = hooks(
      file(
        [
          '      - command: echo "a b" c',
          '      - command: [sh, -c, "exit 0"]',
          '        user: "1000:1000"',
          '        privileged: "true"',
          '        working_dir: /srv',
          '        environment: [A=1, B]',
          '      - command: [id]',
          '        environment: {C: 3}',
          '        x-note: kept out',
          '',
        ].join('\n'),
      ),
    );
    expect(s.post_start).toEqual([
      { command: ['echo', 'a b', 'c'] },
      { command: ['sh', '-c', 'exit 0'], user: '1000:1000', privileged: true, working_dir: '/srv', environment: [['A', '1'], ['B', null]] },
      { command: ['id'], environment: [['C', '3']] },
    ]);
  });

  it.each([
    ['      - user: root\n', /services\.s\.post_start\[0\]\.command/],
    ['      - command: []\n', /services\.s\.post_start\[0\]\.command: a hook needs a command/],
    ['      - command: id\n        workdir: /x\n', /services\.s\.post_start\[0\]\.workdir: unknown key "workdir"/],
    ['      - command: id\n        working_dir: relative\n', /services\.s\.post_start\[0\]\.working_dir: working_dir must be an absolute path/],
    ['      - command: id\n        user: "a b"\n', /services\.s\.post_start\[0\]\.user: "a b" is not a user/],
  ])('%j is a located error', (entries, message) => {
    let err: Error | undefined;
    try {
      hooks(file(entries));
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeDefined();
    expect(`${(err as { path?: string }).path}: ${err!.message}`).toMatch(message);
    expect((err as { location?: { line: number } }).location?.line).toBeGreaterThanOrEqual(5);
  });
});
