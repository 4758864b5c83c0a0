/**
 * Signal names and numbers as docker takes them for `stop_signal` (moby/sys/signal's Linux table): a name
 * with or without `SIG`, any case, `RTMIN+n` / `RTMAX-n` for real-time signals, or a number 1–64. Anything
 * else is refused at load; it would otherwise reach a supervisor that cannot send it.
 */
const NAMES = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF', 'PWR',
  'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH',
  'XCPU', 'XFSZ', 'RTMIN', 'RTMAX',
]);
/** Linux has 64 signals; SIGRTMIN is 34 (glibc), so RTMIN+1..15 and RTMAX-14..1 name the real-time range. */
const MAX_SIGNAL = 64;

export function isSignal(value: string): boolean {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) >= 1 && Number(v) <= MAX_SIGNAL;
  const name = v.toUpperCase().replace(/^SIG/, '');
  if (NAMES.has(name)) return true;
  const rt = /^RT(MIN\+|MAX-)(\d+)$/.exec(name);
  return rt !== null && Number(rt[2]) >= 1 && Number(rt[2]) <= 15;
}
