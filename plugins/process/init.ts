import path from 'node:path';
import { z } from 'zod';
import { definePlugin } from '../../src/engine/define.js';
import { checkInitBinary, findInitBinary, INIT_DIRS, INIT_NAMES, type InitProblem } from '../../src/linux/init/find.js';
import { ops } from '../../src/engine/patch.js';
import type { Operation } from '../../src/engine/types.js';
import { lazyOptions } from '../options.js';

/** Where the init binary appears inside the container: docker's path, so tools that look for it find it. */
export const INIT_DESTINATION = '/sbin/docker-init';

const optionsSchema = () => {
  const absolute = z.string().refine((p) => path.posix.isAbsolute(p), { message: 'must be an absolute path' });
  return z.strictObject({
    /** Binary names to search for, in order (default: tini, tini-static, catatonit, docker-init). */
    names: z.array(z.string().min(1).refine((n) => !n.includes('/'), { message: 'must be a file name, not a path' })).optional(),
    /** Directories searched after PATH (default: the engines' libexec directories, see src/linux/init/find.ts). */
    dirs: z.array(absolute).optional(),
    /** Where the binary is bound inside the container. */
    destination: absolute.optional(),
  });
};
export type InitOptions = z.input<ReturnType<typeof optionsSchema>>;
const checkOptions = lazyOptions('ctnr:init', optionsSchema);

const STATIC_HINT = 'use a static build instead (Debian/Ubuntu: the tini-static package, /usr/bin/tini-static)';

function explain(file: string, problem: InitProblem): string {
  if (problem.kind === 'dynamic') {
    return `init binary ${file} ${problem.message}: the container's rootfs may lack the C library it links against; ${STATIC_HINT}`;
  }
  return `init binary ${file} ${problem.message}`;
}

/**
 * `init: true` (docker `--init`): a small init (tini, catatonit) runs as pid 1, forwards signals to the
 * service's process and reaps orphaned zombies; without it a shell or app as pid 1 ignores SIGTERM (the
 * kernel drops signals pid 1 has no handler for) and never waits for adopted children.
 *
 * The binary comes from the host: `env.initPath` (ctnr.config.ts `init.path`, or `--init-path`), else the
 * first static one among `tini`, `tini-static`, `catatonit`, `docker-init` on `env.path` (default: this
 * process's PATH) and then in the engines' libexec directories. It is bound read-only at
 * /sbin/docker-init and `process.args` becomes `[/sbin/docker-init, --, ...args]`. Dynamically linked
 * builds are skipped in the search and refused when given explicitly: the rootfs may have no libc, or
 * another one.
 *
 * Docker only adds the init when the container has its own pid namespace; with `pid: host` (or another
 * container's namespace) it would not be pid 1, so the key is ignored with a warning, as docker does silently.
 */
export function initPlugin(options: InitOptions = {}) {
  const opts = checkOptions(options);
  const destination = opts.destination ?? INIT_DESTINATION;
  return definePlugin({
    name: 'ctnr:init',
    stage: 'process',
    // Prefixes the args the args plugin computed from the image and the service.
    after: ['ctnr:args'],
    options: opts,
    apply({ service, spec, env, source, error, warn }) {
      if (service.init !== true) return [];
      const pid = service.pid ?? '';
      if (pid === 'host' || pid.startsWith('container:') || pid.startsWith('service:')) {
        warn(`init is ignored with pid: ${pid} (the init would not be pid 1; docker skips it too)`, ['init']);
        return [];
      }
      const args = spec.process?.args ?? [];
      // Nothing to run: ctnr:args-required says so; an init with no program would only hide that.
      if (args.length === 0) return [];

      let binary: string;
      const explicit = env.initPath;
      if (explicit !== undefined) {
        if (typeof explicit !== 'string' || explicit === '') {
          error(`env.initPath must be a non-empty path, got ${JSON.stringify(explicit)}`, ['init']);
          return [];
        }
        binary = path.resolve(source.dir, explicit);
        const problem = checkInitBinary(binary, env.arch);
        if (problem) {
          error(explain(binary, problem), ['init']);
          return [];
        }
      } else {
        const searchPath = typeof env.path === 'string' ? env.path : (process.env.PATH ?? '');
        const result = findInitBinary({ names: opts.names ?? INIT_NAMES, dirs: opts.dirs ?? INIT_DIRS, searchPath, arch: env.arch });
        if (result.found === undefined) {
          const skipped = result.skipped.map((s) => `${s.path} ${s.problem.message}`);
          error(`no init binary found; install tini-static or set init.path in ctnr.config.ts${skipped.length ? ` (skipped: ${skipped.join('; ')})` : ''}`, ['init']);
          return [];
        }
        binary = result.found;
      }

      const out: Operation[] = [ops.set(spec, '/process/args', [destination, '--', ...args])];
      // Read-only and without suid/dev semantics: the container may run it, never change it.
      const mount = { destination, type: 'bind', source: binary, options: ['bind', 'ro', 'nosuid', 'nodev'] };
      const mounts = spec.mounts;
      if (mounts === undefined) out.push(ops.add('/mounts', [mount]));
      else {
        const at = mounts.findIndex((m) => m.destination === destination);
        out.push(at === -1 ? ops.add('/mounts/-', mount) : ops.replace(`/mounts/${at}`, mount));
      }
      return out;
    },
  });
}
