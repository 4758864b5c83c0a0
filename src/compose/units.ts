/**
 * Units compose files use. Byte sizes follow docker's go-units `RAMInBytes` (binary multiples: `1k` = 1024,
 * optional `i`/`b` suffix: `512m`, `1.5g`, `1gb`, `2KiB`); durations follow Go's `time.ParseDuration`
 * (`1m30s`, `1.5h`, `300ms`, `10us`), as compose-go does. Both throw plain `Error`s; the schema turns them into
 * located issues.
 */

const BYTE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** `512m` → 536870912. Numbers are bytes already. */
export function parseBytes(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new Error(`${input} is not a byte size`);
    return Math.trunc(input);
  }
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?(i?b)?$/i.exec(input.trim());
  if (!m || (m[3] !== undefined && m[2] === undefined && !/^b$/i.test(m[3]))) {
    throw new Error(`"${input}" is not a byte size (expected e.g. 512m, 1.5g, 1024)`);
  }
  const value = Number(m[1]) * BYTE_UNITS[(m[2] ?? '').toLowerCase()]!;
  if (!Number.isSafeInteger(Math.trunc(value))) throw new Error(`"${input}" is too large`);
  return Math.trunc(value);
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go duration → nanoseconds: `1m30s` → 90_000_000_000. A bare `0` is allowed, as in Go. */
export function parseDuration(input: string): number {
  const s = input.trim();
  if (s === '0' || s === '+0' || s === '-0') return 0;
  const sign = s.startsWith('-') ? -1 : 1;
  let rest = s.replace(/^[+-]/, '');
  if (rest === '') throw new Error(`"${input}" is not a duration (expected e.g. 30s, 1m30s, 500ms)`);
  let total = 0;
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m) throw new Error(`"${input}" is not a duration (expected e.g. 30s, 1m30s, 500ms)`);
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/** Go's `strconv.ParseBool`, which compose-go applies to interpolated boolean fields. */
export function parseBool(input: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True', 'yes', 'YES', 'Yes', 'y', 'Y', 'on', 'ON', 'On'].includes(input)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False', 'no', 'NO', 'No', 'n', 'N', 'off', 'OFF', 'Off'].includes(input)) return false;
  throw new Error(`"${input}" is not a boolean (expected true or false)`);
}
