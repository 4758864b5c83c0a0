/**
 * `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",
 * scope="repository:library/x:pull",error="insufficient_scope"`. Several challenges may share one header (fetch
 * joins repeated headers with ", "), so a new challenge starts at a token that is not followed by `=`.
 */
export interface Challenge {
  /** Lowercase: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lowercase, values unquoted. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;

export function parseChallenges(header: string | null | undefined): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  let pos = 0;
  const skip = (chars: RegExp) => {
    while (pos < header.length && chars.test(header[pos]!)) pos++;
  };
  const token = (): string | undefined => {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(header);
    if (!m) return undefined;
    pos = TOKEN.lastIndex;
    return m[0];
  };
  // Unquoted values should be tokens, but servers write unquoted URLs too: take everything up to a comma.
  const bare = (): string => {
    const start = pos;
    while (pos < header.length && !/[\s,]/.test(header[pos]!)) pos++;
    return header.slice(start, pos);
  };
  const quoted = (): string => {
    let value = '';
    pos++;
    while (pos < header.length && header[pos] !== '"') {
      if (header[pos] === '\\' && pos + 1 < header.length) pos++;
      value += header[pos++];
    }
    pos++;
    return value;
  };
  while (pos < header.length) {
    skip(/[\s,]/);
    const scheme = token();
    if (scheme === undefined) {
      pos++; // not a token: skip the character rather than loop
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      skip(/[\s,]/);
      const start = pos;
      const name = token();
      skip(/\s/);
      if (name === undefined || header[pos] !== '=') {
        pos = start; // the next challenge's scheme, read by the outer loop
        break;
      }
      pos++;
      skip(/\s/);
      challenge.params[name.toLowerCase()] = header[pos] === '"' ? quoted() : bare();
    }
  }
  return out;
}

/** The challenge we answer: Bearer before Basic (a registry offering both takes tokens better). */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}
