import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createsContainer, GLOBAL_VALUE, parseRuntimeArgs, type RuntimeArgs } from '../../../src/runtime-shim/args.js';
import { REPO } from '../../helpers/shared.js';

describe('parseRuntimeArgs', () => {
  it.each<{ name: string; argv: string[]; expected: RuntimeArgs }>([
    {
      name: 'podman (conmon)',
      argv: ['--root', '/run/runc', '--log', '/run/x/oci-log', '--log-format', 'json', '--systemd-cgroup', 'create', '--bundle', '/b', '--pid-file', '/p', '--console-socket', '/s', 'abc'],
      expected: { log: '/run/x/oci-log', logFormat: 'json', command: 'create', bundle: '/b', pidFile: '/p', containerId: 'abc' },
    },
    {
      name: 'podman without --root, = forms',
      argv: ['--log-format=json', '--log', '/l', 'create', '--bundle', '/b', '--pid-file', '/p', 'abc'],
      expected: { log: '/l', logFormat: 'json', command: 'create', bundle: '/b', pidFile: '/p', containerId: 'abc' },
    },
    {
      name: "containerd's shim",
      argv: ['--root', '/run/containerd/runc/default', '--log', '/b/log.json', '--log-format', 'json', 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', 'web'],
      expected: { log: '/b/log.json', logFormat: 'json', command: 'create', bundle: '/b', pidFile: '/b/init.pid', containerId: 'web' },
    },
    { name: 'run, -b, flags after the id (urfave/cli reorders)', argv: ['run', 'web', '-b', '/b', '--detach'], expected: { command: 'run', bundle: '/b', containerId: 'web' } },
    { name: 'no bundle: the working directory', argv: ['create', 'web'], expected: { command: 'create', containerId: 'web' } },
    { name: 'single-dash long options (Go flags)', argv: ['-root', '/r', '-log', '/l', 'create', '-bundle', '/b', 'web'], expected: { log: '/l', command: 'create', bundle: '/b', containerId: 'web' } },
    { name: "crun's attached short value and --config", argv: ['create', '-b/b', '-fother.json', 'web'], expected: { command: 'create', bundle: '/b', configFile: 'other.json', containerId: 'web' } },
    { name: "crun's --config=", argv: ['create', '--config=spec.json', 'web'], expected: { command: 'create', configFile: 'spec.json', containerId: 'web' } },
    { name: 'value flags are not the id', argv: ['create', '--console-socket', '/s', '--preserve-fds', '2', 'web'], expected: { command: 'create', preserveFds: 2, containerId: 'web' } },
    { name: 'unknown global switch', argv: ['--debug', '--weird', 'create', 'web'], expected: { command: 'create', containerId: 'web' } },
    { name: '-- before the id', argv: ['create', '-b', '/b', '--', '-odd-id'], expected: { command: 'create', bundle: '/b', containerId: '-odd-id' } },
    { name: 'abbreviated --bundle is refused (crun would take it)', argv: ['create', '--bund', '/x', 'web'], expected: { command: 'create', containerId: '/x', problem: 'option --bund abbreviates --bundle: give it in full' } },
    { name: 'a value flag without its value', argv: ['create', 'web', '--bundle'], expected: { command: 'create', containerId: 'web', problem: 'option --bundle needs a value' } },
    { name: 'exec with a process file', argv: ['--root', '/r', 'exec', '--detach', '--process', '/p.json', '--pid-file', '/pid', 'web'], expected: { command: 'exec', processFile: '/p.json', pidFile: '/pid', containerId: 'web' } },
    { name: 'exec: what follows the id is the command', argv: ['exec', '-t', 'web', 'sh', '-c', '--bundle'], expected: { command: 'exec', containerId: 'web' } },
    { name: 'state', argv: ['--root', '/r', 'state', 'web'], expected: { command: 'state' } },
    { name: '--version alone', argv: ['--version'], expected: {} },
    {
      name: 'an unknown global option with a value hides create: refused',
      argv: ['--frobnicate', 'x', 'create', 'web'],
      expected: { command: 'x', problem: 'cannot tell the subcommand: "x" is not one, and a later argument is create or run (a global option this wrapper does not know?)' },
    },
    { name: 'a known subcommand with create further on is fine', argv: ['exec', 'web', 'npm', 'run', 'build'], expected: { command: 'exec', containerId: 'web' } },
    { name: 'nothing', argv: [], expected: {} },
  ])('$name', ({ argv, expected }) => {
    expect(parseRuntimeArgs(argv)).toEqual(expected);
  });

  it.each([
    ['create', true],
    ['run', true],
    ['start', false],
    ['exec', false],
    [undefined, false],
  ] as const)('createsContainer(%s) = %s', (command, expected) => {
    expect(createsContainer(command === undefined ? {} : { command })).toBe(expected);
  });
});

it('bin/ctnr-runtime.sh skips the same global options with values as the parser (it finds the subcommand for the cache)', () => {
  const sh = readFileSync(path.join(REPO, 'bin/ctnr-runtime.sh'), 'utf8');
  const pattern = /case \$ctnr_arg in\n([\s\S]*?)\) ctnr_skip=1/.exec(sh)![1]!;
  const names = new Set(pattern.split(/[|\\\s]+/).filter(Boolean).map((n) => n.replace(/^--?/, '')));
  expect([...names].sort()).toEqual([...GLOBAL_VALUE].sort());
  for (const n of GLOBAL_VALUE) expect(pattern).toContain(`--${n} | -${n}`);
});
