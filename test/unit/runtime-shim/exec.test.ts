import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareExec } from '../../../src/runtime-shim/exec.js';
import { parseRuntimeArgs } from '../../../src/runtime-shim/args.js';
import { ctnrFailure } from '../../helpers/errors.js';
import { REPO } from '../../helpers/shared.js';
import { expectValidSpec } from '../../helpers/schema.js';

/** config.json files podman 4.3 wrote: a plain container, and --privileged (its process is what `exec --privileged` gets). */
const PODMAN = readFileSync(path.join(REPO, 'test/fixtures/runtime-shim/podman-config.json'), 'utf8');
const PRIVILEGED_PROCESS = JSON.stringify(JSON.parse(readFileSync(path.join(REPO, 'test/fixtures/runtime-shim/podman-privileged-config.json'), 'utf8')).process, null, 2) + '\n';
const PLAIN_PROCESS = JSON.stringify(JSON.parse(PODMAN).process, null, 2) + '\n';
/** The container's id as podman named its directories (engine-managed binds are recognised by it). */
const ID = /vfs-containers\/([0-9a-f]{64})\//.exec(PODMAN)![1]!;
const REFUSAL = 'ctnr: policy baseline: capabilities: ';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-exec-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * `exec --process FILE ID` with a runtime config (JSON: the runtime is added; .mjs: RUNTIME in its text is
 * replaced by the runtime's path); the "runtime" answers `state ID` with the bundle and records its arguments.
 */
async function exec(config: [string, string], processText: string, opts: { stateFails?: boolean; processAsSymlink?: boolean } = {}) {
  const bundle = path.join(dir, 'bundle');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(path.join(bundle, 'config.json'), PODMAN);
  const runtime = path.join(dir, 'runtime');
  writeFileSync(runtime, opts.stateFails
    ? '#!/bin/sh\necho "container does not exist" >&2\nexit 1\n'
    : `#!/bin/sh\necho "$@" > ${dir}/state-args\necho '{"id":"${ID}","bundle":${JSON.stringify(bundle)}}'\n`);
  chmodSync(runtime, 0o755);
  const configFile = path.join(dir, config[0]);
  writeFileSync(configFile, config[0].endsWith('.json') ? JSON.stringify({ runtime, ...JSON.parse(config[1]) }) : config[1].replace('RUNTIME', JSON.stringify(runtime)));
  const processFile = path.join(dir, 'process.json');
  const written = opts.processAsSymlink ? path.join(dir, 'real-process.json') : processFile;
  writeFileSync(written, processText);
  chmodSync(written, 0o600);
  if (opts.processAsSymlink) symlinkSync(written, processFile);
  let stderr = '';
  const log = path.join(dir, 'log.json');
  const argv = ['--root', '/run/x', '--log', log, '--log-format', 'json', 'exec', '--process', processFile, '--detach', ID];
  const outcome = await prepareExec({ argv, args: parseRuntimeArgs(argv), configFile, log: { log, logFormat: 'json', stderr: (t) => (stderr += t) } });
  return {
    outcome, stderr, runtime, processFile,
    after: readFileSync(processFile, 'utf8'),
    stateArgs: () => readFileSync(path.join(dir, 'state-args'), 'utf8').trim(),
  };
}

const BASELINE: [string, string] = ['runtime.config.json', '{"presets":["baseline"]}'];

describe('ctnr-runtime exec --process: the validators that declare exec judge the process', () => {
  it('baseline enforce: a privileged process is refused with the reason on stderr; nothing is handed over or changed', async () => {
    const r = await exec(BASELINE, PRIVILEGED_PROCESS);
    expect(r.outcome.runtime).toBeUndefined();
    expect(r.stderr).toContain(REFUSAL);
    expect(r.after).toBe(PRIVILEGED_PROCESS);
    // `state` ran under the engine's global options, for that container.
    expect(r.stateArgs()).toBe(`--root /run/x --log ${path.join(dir, 'log.json')} --log-format json state ${ID}`);
  });

  it('baseline enforce: a plain process is handed over unchanged', async () => {
    const r = await exec(BASELINE, PLAIN_PROCESS);
    expect([r.outcome.runtime, r.stderr]).toEqual([r.runtime, '']);
    expect(r.after).toBe(PLAIN_PROCESS);
  });

  it('restricted with fixes: the process file is rewritten (capabilities reduced, no_new_privs) in its layout and mode', async () => {
    const r = await exec(['runtime.config.mjs', `export default ({ restrictedPreset }) => ({
      runtime: RUNTIME,
      presets: [restrictedPreset({ fix: true })],
      policy: { exemptions: [{ service: '${ID}', control: 'runAsNonRoot', reason: 'the fixture runs as root' }] },
    });`], PLAIN_PROCESS);
    expect([r.outcome.runtime, r.stderr]).toEqual([r.runtime, '']);
    const fixed = JSON.parse(r.after);
    expect(fixed.capabilities.bounding).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(fixed.noNewPrivileges).toBe(true);
    expect(fixed.args).toEqual(JSON.parse(PLAIN_PROCESS).args);
    expect(r.after.startsWith('{\n  "')).toBe(true);
    expect(statSync(r.processFile).mode & 0o777).toBe(0o600);
    // What the runtime runs: the container's spec with this process.
    expectValidSpec({ ...JSON.parse(PODMAN), process: fixed });
  });

  it('restricted without fixes refuses the process as it refused the container', async () => {
    const r = await exec(['runtime.config.json', '{"presets":["restricted"]}'], PLAIN_PROCESS);
    expect(r.outcome.runtime).toBeUndefined();
    expect(r.stderr).toMatch(/^ctnr: policy restricted: /m);
    expect(r.after).toBe(PLAIN_PROCESS);
  });

  it('a validator that does not declare exec does not judge exec processes', async () => {
    const r = await exec(['runtime.config.mjs', `export default {
      runtime: RUNTIME,
      plugins: [{ name: 'acme:containers-only', stage: 'process', validate: () => [{ message: 'never an exec', pointer: '/process' }] }],
    };`], PRIVILEGED_PROCESS);
    expect([r.outcome.runtime, r.stderr]).toEqual([r.runtime, '']);
  });

  it('refuses a process file that is not a regular file (a symlink would be replaced, a FIFO emptied)', async () => {
    const err = await ctnrFailure(() => exec(BASELINE, PLAIN_PROCESS, { processAsSymlink: true }));
    expect(err.message).toMatch(/^exec: the process file .*process\.json is not a regular file/);
    expect(readFileSync(path.join(dir, 'real-process.json'), 'utf8')).toBe(PLAIN_PROCESS);
  });

  it('fails closed when the runtime does not know the container', async () => {
    const err = await ctnrFailure(() => exec(BASELINE, PLAIN_PROCESS, { stateFails: true }));
    expect(err.message).toBe(`exec: cannot find container ${ID}'s bundle: container does not exist`);
  });
});
