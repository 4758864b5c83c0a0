import { describe, expect, it } from 'vitest';
import { remembered } from '../../../src/engine/remember.js';

describe('remembered', () => {
  it('computes each argument once, undefined results included', () => {
    const calls: string[] = [];
    const f = remembered((s) => (calls.push(s), s === 'none' ? undefined : s.length));
    expect([f('abc'), f('none'), f('abc'), f('none')]).toEqual([3, undefined, 3, undefined]);
    expect(calls).toEqual(['abc', 'none']);
  });

  it('past its bound it keeps computing, with the same answers, and remembers nothing more', () => {
    const calls: string[] = [];
    const f = remembered((s) => (calls.push(s), s.toUpperCase()), 2);
    expect(['a', 'b', 'c', 'c', 'a'].map(f)).toEqual(['A', 'B', 'C', 'C', 'A']);
    expect(calls).toEqual(['a', 'b', 'c', 'c']);
  });
});
