/**
 * Compose variable interpolation (compose-spec "Interpolation"): `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, `$$` for a literal `$`.
 * Defaults and alternatives may themselves contain interpolations. A `$` followed by anything else stays
 * literal, as in compose-go. Errors are plain `Error`s; the loader adds the file position and key path.
 */

export type Lookup = (name: string) => string | undefined;

export class InterpolationError extends Error {}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

export function interpolate(input: string, lookup: Lookup): string {
  if (!input.includes('$')) return input;
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = matchingBrace(input, i + 2);
      if (end < 0) throw new InterpolationError(`invalid interpolation format in "${input}": unclosed "\${"`);
      out += braced(input.slice(i + 2, end), lookup, input);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(input.slice(i + 1));
    if (m) {
      out += lookup(m[0]) ?? '';
      i += 1 + m[0].length;
      continue;
    }
    out += '$';
    i++;
  }
  return out;
}

/** Index of the `}` closing a `${` whose body starts at `from`, skipping nested `${…}`. */
function matchingBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$') i++;
    else if (s[i] === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function braced(body: string, lookup: Lookup, whole: string): string {
  const m = NAME.exec(body);
  if (!m) throw new InterpolationError(`invalid interpolation format in "${whole}": "\${${body}}" does not start with a variable name`);
  const name = m[0];
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === '') return value ?? '';
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (!op) throw new InterpolationError(`invalid interpolation format in "${whole}": unknown operator in "\${${body}}"`);
  const arg = rest.slice(op.length);
  const unsetOrEmpty = value === undefined || value === '';
  switch (op) {
    case ':-':
      return unsetOrEmpty ? interpolate(arg, lookup) : value!;
    case '-':
      return value === undefined ? interpolate(arg, lookup) : value;
    case ':?':
      if (unsetOrEmpty) throw new MissingVariableError(name, interpolate(arg, lookup));
      return value!;
    case '?':
      if (value === undefined) throw new MissingVariableError(name, interpolate(arg, lookup));
      return value;
    case ':+':
      return unsetOrEmpty ? '' : interpolate(arg, lookup);
    default:
      return value === undefined ? '' : interpolate(arg, lookup);
  }
}

export class MissingVariableError extends InterpolationError {
  readonly variable: string;
  constructor(variable: string, detail: string) {
    super(`required variable ${variable} is missing a value${detail ? `: ${detail}` : ''}`);
    this.variable = variable;
  }
}

/**
 * A `.env` / `env_file` file: `KEY=VALUE` lines, `#` comments, optional `export `, single quotes literal,
 * double quotes with `\n`/`\t`/`\\`/`\"` escapes, unquoted values trimmed and cut at ` #`. Unquoted and
 * double-quoted values interpolate earlier keys and `outer`. `KEY` alone takes the value from `outer` and is
 * dropped when unset (compose-go's behaviour). Returns entries in file order; errors name the line.
 */
export function parseEnvFile(text: string, outer: Lookup): { entries: Array<[string, string]>; errors: Array<{ line: number; message: string }> } {
  const errors: Array<{ line: number; message: string }> = [];
  const own = new Map<string, string>();
  const lookup: Lookup = (n) => own.get(n) ?? outer(n);
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let idx = 0; idx < lines.length; idx++) {
    let line = lines[idx]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trimStart();
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (!/^[^\s=]+$/.test(key)) {
      // The line is not quoted: an env file holds secrets, and a malformed line may be one.
      errors.push({ line: idx + 1, message: 'not a KEY=VALUE line (its text is not shown: env files hold secrets)' });
      continue;
    }
    let value: string | undefined;
    if (eq < 0) {
      value = outer(key);
      if (value === undefined) continue;
    } else {
      let raw = line.slice(eq + 1).trimStart();
      try {
        if (raw.startsWith("'") || raw.startsWith('"')) {
          const q = raw[0]!;
          // A quoted value may span lines until its closing quote.
          let body = raw.slice(1);
          let close = findClose(body, q);
          while (close < 0 && idx + 1 < lines.length) {
            body += '\n' + lines[++idx]!;
            close = findClose(body, q);
          }
          if (close < 0) throw new Error(`unterminated ${q} quote`);
          const inner = body.slice(0, close);
          value = q === "'" ? inner : interpolate(unescape(inner), lookup);
        } else {
          const hash = raw.search(/\s#/);
          if (hash >= 0) raw = raw.slice(0, hash);
          value = interpolate(raw.trim(), lookup);
        }
      } catch (e) {
        // interpolate()'s messages quote the whole value; here the value may be a secret, so only the kind of
        // problem is told (a missing required variable names the variable and the file author's own message).
        const message = e instanceof MissingVariableError ? e.message : e instanceof InterpolationError ? `${KEY_OF(key)}: invalid interpolation in the value (the value is not shown: env files hold secrets)` : (e as Error).message;
        errors.push({ line: idx + 1, message });
        continue;
      }
    }
    // A repeated key moves to the end with its new value (delete + set; a list search was quadratic).
    own.delete(key);
    own.set(key, value);
  }
  return { entries: [...own], errors };
}

const KEY_OF = (key: string) => (/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(key) ? key : 'the variable');

function findClose(body: string, q: string): number {
  for (let i = 0; i < body.length; i++) {
    if (q === '"' && body[i] === '\\') i++;
    else if (body[i] === q) return i;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}
