import { describe, expect, it } from 'vitest';
import { parseCompose } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';
import { thrownCtnrError } from '../../helpers/errors.js';

/** `pull_policy` and `pull_refresh_after` as the loader checks them: when the service loads, located, image or not. */
function select(keys: string, parent = '') {
  const yaml = `services:\n  web:\n    image: busybox\n${keys}${parent}`;
  const project = parseCompose(yaml, '/proj/compose.yaml', 'compose.yaml', { environment: {}, allowUnsupported: false });
  return selectService(project, 'web');
}

describe('pull_policy when a service loads', () => {
  it.each(['always', 'missing', 'if_not_present', 'build', 'never', 'daily', 'weekly', 'every_12h', 'every_2d'])('%s loads without a diagnostic', (policy) => {
    const { input, diagnostics } = select(`    pull_policy: ${policy}\n`);
    expect((input.service as { pull_policy?: string }).pull_policy).toBe(policy);
    // It is a key ctnr honours: no "ignored" note about it (there was one while the key table said so).
    expect(diagnostics).toEqual([]);
  });

  it('refresh with pull_refresh_after loads', () => {
    expect(select('    pull_policy: refresh\n    pull_refresh_after: 12h\n').diagnostics).toEqual([]);
  });

  it.each([
    ['    pull_policy: sometimes\n', 'services.web.pull_policy', 4, /"sometimes" is not a pull policy \(always, missing, never, build, daily, weekly, every_<duration>, refresh\)/],
    ['    pull_policy: every_\n', 'services.web.pull_policy', 4, /"every_" is not a pull policy/],
    ['    pull_policy: refresh\n', 'services.web.pull_policy', 4, /"refresh" needs pull_refresh_after beside it/],
    ['    pull_policy: refresh\n    pull_refresh_after: soon\n', 'services.web.pull_refresh_after', 5, /"soon" is not a duration/],
    ['    pull_policy: refresh\n    pull_refresh_after: 0s\n', 'services.web.pull_refresh_after', 5, /"0s" is not a duration/],
  ])('%j is an error at its line', (keys, path, line, message) => {
    const err = thrownCtnrError(() => select(keys));
    expect(err.path).toBe(path);
    expect(err.location).toMatchObject({ file: 'compose.yaml', line });
    expect(err.message).toMatch(message);
    // The path is said once, by the error's path, not again inside the message.
    expect(err.message).not.toContain(path);
  });

  it('pull_refresh_after without refresh is a warning at its line', () => {
    const { diagnostics } = select('    pull_policy: daily\n    pull_refresh_after: 12h\n');
    expect(diagnostics).toEqual([
      expect.objectContaining({ level: 'warning', code: 'KEY_IGNORED', path: 'services.web.pull_refresh_after', message: expect.stringMatching(/counts only with pull_policy: refresh/), location: expect.objectContaining({ line: 5 }) }),
    ]);
  });

  it('checks the merged service: refresh from the parent, pull_refresh_after from the child', () => {
    const parent = '    extends: base\n  base:\n    image: busybox\n    pull_policy: refresh\n';
    expect(select('    pull_refresh_after: 1w\n', parent).diagnostics).toEqual([]);
    expect(thrownCtnrError(() => select('', parent)).message).toMatch(/"refresh" needs pull_refresh_after/);
  });
});
