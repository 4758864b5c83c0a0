import { describe, expect, it } from 'vitest';
import { keepRanges, splitCompose } from '../../../src/compose/split.js';

/**
 * The split's entries as `name@firstLine-lastLine` (1-based, inclusive; `&` marks an entry with an anchor, `!` one with
 * a `!reset`), the common ranges as `@a-b`.
 */
function shape(text: string): { common: string[]; services: string[] } | undefined {
  const split = splitCompose(text);
  if (split === undefined) return undefined;
  const lines = (from: number, to: number) => {
    const first = text.slice(0, from).split('\n').length;
    const last = first + text.slice(from, to).replace(/\n$/, '').split('\n').length - 1;
    return `${first}-${last}`;
  };
  return {
    common: split.common.map((r) => `@${lines(r.from, r.to)}`),
    services: split.services.map((s) => `${s.name}${s.anchors ? '&' : ''}${s.resets ? '!' : ''}@${lines(s.from, s.to)}`),
  };
}

describe('splitting a compose file into its entries by lines (src/compose/split.ts)', () => {
  it.each([
    {
      what: 'top-level entries, services and their lines, comments and blank lines included',
      text: 'name: p\nservices:\n  web:\n    image: a\n\n  # about db\n  db:\n    image: b\nvolumes:\n  data: {}\n',
      common: ['@1-1', '@2-2', '@9-10'],
      services: ['web@3-6', 'db@7-8'],
    },
    {
      what: 'an entry with an anchor is marked (it is parsed with every part)',
      text: 'services:\n  base: &base\n    image: a\n  web:\n    <<: *base\n  job:\n    command: a && b\n',
      common: ['@1-1'],
      services: ['base&@2-3', 'web@4-5', 'job&@6-7'],
    },
    {
      what: 'block scalars, quotes, flow collections and comments inside entries',
      text: [
        'services:',
        '  web:',
        '    command: |',
        '      echo "unbalanced',
        '      [ -x foo ] && {',
        '    entrypoint: ["sh", "-c",',
        '      "a: b # c"]',
        "    labels: { a: 'it''s', b: \"q\\\"\" }",
        "    user: it's # don't",
        '  db:',
        '    image: b',
        '',
      ].join('\n'),
      common: ['@1-1'],
      services: ['web&@2-9', 'db@10-11'],
    },
    {
      what: 'CRLF line ends and a last line without its newline',
      text: 'services:\r\n  web:\r\n    image: a\r\n  db:\r\n    image: b',
      common: ['@1-1'],
      services: ['web@2-3', 'db@4-5'],
    },
    {
      what: 'a value on the service line',
      text: 'services:\n  web: {image: a}\n  db: !reset null\n',
      common: ['@1-1'],
      services: ['web@2-2', 'db!@3-3'],
    },
    {
      what: 'an entry with a !reset anywhere is marked (it may be a service the file resets)',
      text: 'services:\n  web:\n    ports: !reset []\n  db:\n    !reset\n  job:\n    command: ["echo", "!reset"]\n  late:\n    image: a\n',
      common: ['@1-1'],
      services: ['web!@2-3', 'db!@4-5', 'job!@6-7', 'late@8-9'],
    },
  ])('$what', ({ text, common, services }) => {
    expect(shape(text)).toEqual({ common, services });
  });

  it.each([
    ['no services key', 'name: p\n'],
    ['a directive', '%YAML 1.2\n---\nservices:\n  web: {}\n'],
    ['several documents', 'services:\n  web: {}\n---\nservices:\n  db: {}\n'],
    ['a byte order mark', '\ufeffservices:\n  web: {}\n'],
    ['a lone carriage return', 'services:\r  web: {}\n'],
    ['a tab in an indentation', 'services:\n  web:\n\timage: a\n'],
    ['a quoted service name', 'services:\n  "web":\n    image: a\n'],
    ['a merge key among the services', 'services:\n  <<: *all\n  web: {}\n'],
    ['a service named twice', 'services:\n  web: {}\n  db: {}\n  web: {}\n'],
    ['services named twice at the top', 'services:\n  web: {}\nservices:\n  db: {}\n'],
    ['a value on the services line', 'services: {web: {}}\n'],
    ['an anchor on the services line', 'services: &s\n  web: {}\n'],
    ['a line between two indentations', 'services:\n    web:\n      image: a\n  db:\n    image: b\n'],
    ['a top-level key that is not a plain name', '"services":\n  web: {}\n'],
    ['a root sequence', '- a\n- b\n'],
    ['an indented line before the first key', '  services:\n  web: {}\n'],
    ['a quote left open at the end of an entry', 'services:\n  web:\n    command: "echo\n  db:\n    image: b"\n'],
    ["a single quote left open", "services:\n  web:\n    command: 'echo\n  db:\n    image: b'\n"],
    ['a flow sequence left open', 'services:\n  web:\n    command: [echo,\n  db:\n    image: b]\n'],
    ['a flow mapping left open in a top-level entry', 'x-a: {a: 1,\nservices:\n  db: {}\n'],
  ])('is not split (parsed whole): %s', (_what, text) => {
    expect(splitCompose(text)).toBeUndefined();
  });

  it("keeps chosen ranges in file order, with the file's line of each line kept", () => {
    const text = 'x-a: 1\nservices:\n  web:\n    image: a\n  db:\n    image: b\n  job:\n    image: c';
    const split = splitCompose(text)!;
    const [web, , job] = split.services;
    const part = keepRanges(text, [job!, ...split.common, web!]);
    expect(part.text).toBe('x-a: 1\nservices:\n  web:\n    image: a\n  job:\n    image: c');
    expect(part.lines).toEqual([1, 2, 3, 4, 7, 8]);
  });
});
