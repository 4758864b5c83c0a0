import type { StdioOptions } from 'node:child_process';
import { readdirSync, readFileSync, writeSync } from 'node:fs';

/**
 * Hand the command to the real runtime. Started by bin/ctnr-runtime.sh (the normal way), node only says which
 * runtime on the file descriptor the script names, and the script `exec`s it with the original arguments: the
 * runtime then is this process (same pid, every inherited descriptor, signals, exit status). Started as
 * `node bin/ctnr-runtime.mjs …` there is no script to exec from, so the runtime runs as a child with the same
 * arguments, stdio and inherited descriptors, signals passed on, and its exit status becomes ours. (node:child_process
 * is loaded only then: it brings net, dgram and their bindings, which the startup snapshot would otherwise carry.)
 */
export const HANDOVER_FD_ENV = 'CTNR_RUNTIME_HANDOVER_FD';

export function handover(runtime: string, argv: readonly string[], preserveFds = 0): void {
  const fd = process.env[HANDOVER_FD_ENV];
  if (fd && /^\d+$/.test(fd)) {
    writeSync(Number(fd), runtime);
    return;
  }
  // Not `import()`: a process started from the startup snapshot has no dynamic import (./exec.ts says the same).
  runChild(process.getBuiltinModule('node:child_process').spawn, runtime, argv, preserveFds);
}

/**
 * Descriptors above 2 to pass on: 3 … 2+LISTEN_FDS+`--preserve-fds` (what the runtime hands the container), and
 * any other this process inherited without close-on-exec. (Node marks some inherited descriptors close-on-exec
 * itself, so the flag alone would lose a preserved one.)
 */
function inheritedFds(preserveFds: number): number[] {
  const out: number[] = [];
  const listen = Number(process.env.LISTEN_FDS);
  const wanted = 3 + (Number.isSafeInteger(listen) && listen > 0 ? listen : 0) + preserveFds;
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return out;
  }
  for (const name of names) {
    const fd = Number(name);
    if (!(fd > 2)) continue;
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      // O_CLOEXEC is 02000000 (octal) on Linux.
      if (fd < wanted || (flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0)) out.push(fd);
    } catch {
      // closed meanwhile (the directory listing's own descriptor)
    }
  }
  return out.sort((a, b) => a - b);
}

const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'];

function runChild(spawn: typeof import('node:child_process').spawn, runtime: string, argv: readonly string[], preserveFds: number): void {
  const extra = inheritedFds(preserveFds);
  const stdio: StdioOptions = ['inherit', 'inherit', 'inherit'];
  const top = extra.length > 0 ? extra[extra.length - 1]! : 2;
  for (let fd = 3; fd <= top; fd++) (stdio as unknown[]).push(extra.includes(fd) ? fd : 'ignore');
  const child = spawn(runtime, [...argv], { stdio });
  const handlers = FORWARDED.map((sig) => {
    const h = () => child.kill(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  child.on('error', (err) => {
    process.stderr.write(`ctnr: cannot run ${runtime}: ${err.message}\n`);
    process.exitCode = 127;
  });
  child.on('exit', (code, signal) => {
    for (const [sig, h] of handlers) process.off(sig, h);
    if (signal) {
      // Die of the same signal, so the caller sees what it would have seen from the runtime.
      process.kill(process.pid, signal);
      return;
    }
    process.exitCode = code ?? 1;
  });
}
