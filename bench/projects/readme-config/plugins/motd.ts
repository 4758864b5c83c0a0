// plugins/motd.ts (README)
import { definePlugin } from 'ctnr';

export function motdPlugin(options: { text: string }) {
  return definePlugin({
    name: 'acme:motd',            // namespaced, unique in a plan
    stage: 'process',
    after: ['ctnr:env'],          // order with words, not numbers
    options,
    apply: ({ options }) => [{ op: 'add', path: '/process/env/-', value: `MOTD=${options.text}` }],
  });
}
