import { describeErrno } from '../../src/linux/errno.js';
import { READ_REASONS, readRegularFile } from '../../src/linux/read-file.js';
import path from 'node:path';
import { definePlugin } from '../../src/engine/define.js';
import { CtnrError } from '../../src/engine/errors.js';
import { lookup, ops } from '../../src/engine/patch.js';
import type { Operation } from '../../src/engine/types.js';
import type { Seccomp } from '../../src/spec/types.js';
import { defaultSeccomp } from '../../src/linux/seccomp/default.js';
import { convertSeccompFile, seccompFileSchema } from '../../src/linux/seccomp/convert.js';
import { targetKernel, type SeccompTarget } from '../../src/linux/seccomp/match.js';

/** Values of `seccomp=` that are not file paths. */
const BUILTIN = new Set(['default', 'builtin', 'unconfined']);

export interface SeccompOptions {
  /**
   * The default profile for a target (no `seccomp=`, or `seccomp=default`), in place of ctnr's: an engine preset
   * gives its engine's (presets/engines/seccomp.ts). Called with the FINAL bounding set, like ctnr's.
   */
  defaultProfile?: (target: SeccompTarget) => Seccomp;
}

/**
 * `linux.seccomp`, docker semantics:
 * - no `security_opt: seccomp=…` → ctnr's default profile (src/linux/seccomp/profile.json) for the target arch and
 *   the FINAL bounding set; `privileged: true` → unconfined instead (docker keeps a profile for a privileged
 *   container only when the user chose one explicitly);
 * - `seccomp=unconfined` → no filter; `seccomp=default` → the default profile even when privileged;
 * - `seccomp=PATH` (relative to the compose file's directory) → an OCI LinuxSeccomp or a docker-format profile,
 *   converted for the same target.
 * The default profile depends on the bounding set, so this plugin runs in the seccomp stage (after process and
 * privileged) and last within it; `ctnr:seccomp-caps-check` flags any later capability change.
 * `env.kernelRelease` (`uname -r` of the host that will run the bundle) decides `minKernel` rules; it defaults to
 * this host's release, which is right when the bundle runs where it is generated.
 */
export function seccompPlugin(options: SeccompOptions = {}) {
  if (options.defaultProfile !== undefined && typeof options.defaultProfile !== 'function') {
    throw new CtnrError('PLUGIN_OPTIONS', 'options.defaultProfile: must be a function (target) => profile', { plugin: 'ctnr:seccomp' });
  }
  const defaultProfile = options.defaultProfile ?? defaultSeccomp;
  return definePlugin({
    name: 'ctnr:seccomp',
    stage: 'seccomp',
    enforce: 'post',
    apply({ service, spec, env, source, error }) {
      const chosen = (service.security_opt ?? []).filter((o) => o.key === 'seccomp');
      for (const extra of chosen.slice(1)) error(`seccomp is given more than once (first at security_opt[${chosen[0]!.index}])`, ['security_opt', extra.index]);
      const opt = chosen[0];
      const target: SeccompTarget = {
        arch: env.arch,
        bounding: spec.process?.capabilities?.bounding ?? [],
        kernel: targetKernel(env.kernelRelease),
      };
      let value: Seccomp | undefined;
      if (!opt) {
        value = service.privileged ? undefined : defaultProfile(target);
      } else if (opt.value === '') {
        error('seccomp needs a value: seccomp=unconfined, seccomp=default or seccomp=PATH to a profile file', ['security_opt', opt.index]);
        return [];
      } else if (BUILTIN.has(opt.value)) {
        value = opt.value === 'unconfined' ? undefined : defaultProfile(target);
      } else {
        value = loadProfile(opt.value, source.dir, target, (msg) => error(msg, ['security_opt', opt.index]));
        if (!value) return [];
      }
      const out: Operation[] = [];
      if (value) {
        out.push(...ops.ensureParents(spec, '/linux/seccomp'), ops.set(spec, '/linux/seccomp', value));
      } else if (lookup(spec, '/linux/seccomp') !== undefined) {
        out.push(ops.remove('/linux/seccomp'));
      }
      return out;
    },
  });
}

/** Read, validate and convert a profile file; reports the problem and returns undefined when it is bad. */
function loadProfile(file: string, dir: string, target: SeccompTarget, fail: (msg: string) => void): Seccomp | undefined {
  const abs = path.resolve(dir, file);
  let text: string;
  try {
    // A regular file of bounded size: `seccomp=/dev/zero` or a FIFO must not hang or exhaust memory.
    text = readRegularFile(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    fail(code === 'ENOENT' ? `seccomp profile ${file} not found (looked for ${abs})` : `cannot read seccomp profile ${abs}: ${code && READ_REASONS[code] ? describeErrno(err, READ_REASONS) : (code ?? (err as Error).message)}`);
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text around the mistake: the file may be anything (`seccomp=/etc/shadow`), so
    // only where the JSON breaks is told, never what is there.
    fail(`seccomp profile ${file} is not valid JSON${jsonErrorPosition(text, err)}`);
    return undefined;
  }
  const parsed = seccompFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem(s))` : '';
    fail(`seccomp profile ${file}: ${at ? at + ': ' : ''}${issue.message}${more}`);
    return undefined;
  }
  return convertSeccompFile(parsed.data, target);
}

/** ` (line L, column C)` when V8's message gives the offset, else nothing. */
function jsonErrorPosition(text: string, err: unknown): string {
  const m = /at position (\d+)/.exec((err as Error).message ?? '');
  if (!m) return text.trim() === '' ? ' (the file is empty)' : '';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return ` (line ${line}, column ${before.length - before.lastIndexOf('\n')})`;
}
