import { didYouMean } from '../engine/errors.js';

/** What a service asks for one namespace type: a new one, the host's (no namespace), or another container's. */
export type NamespaceWant = { kind: 'new' } | { kind: 'host' } | { kind: 'join'; ref: string; refKind: 'service' | 'container' };

export interface ModeProblem {
  message: string;
}

/**
 * Parse a compose namespace mode (`host`, `private`, `service:NAME`, `container:ID`, …). `allowed` lists the
 * words that mean "a new namespace" for this key besides the empty value.
 */
export function parseMode(value: string | null | undefined, key: string, newWords: readonly string[], extra: readonly string[] = []): NamespaceWant | ModeProblem {
  const v = (value ?? '').trim();
  if (v === '' || newWords.includes(v)) return { kind: 'new' };
  if (v === 'host') return { kind: 'host' };
  const m = /^(service|container):(.+)$/.exec(v);
  if (m) return { kind: 'join', refKind: m[1] as 'service' | 'container', ref: m[2]!.trim() };
  const words = ['host', ...newWords, ...extra, 'service:NAME', 'container:ID'];
  return { message: `${key} "${v}" is not one of ${words.join(', ')}${didYouMean(v, ['host', ...newWords, ...extra])}` };
}

export function isProblem(x: NamespaceWant | ModeProblem): x is ModeProblem {
  return 'message' in x;
}
