// Not part of the normal compile (tsconfig.json excludes test/types/*.fixture.ts): a plugin that reads a key the
// Service contract does not have. test/unit/engine/service-contract.test.ts compiles it and expects tsc to
// name `hostnme`, and the same file with `hostname` to compile. (definePlugin and op as `ctnr/plugin` exports
// them, imported from their modules so that the program stays small.)
import { definePlugin } from '../../src/engine/define.js';
import { op } from '../../src/plugin-kit/op.js';

export const hostnamePlugin = definePlugin({
  name: 'test:hostname',
  stage: 'network',
  apply({ service }) {
    const name = service.hostnme;
    return name ? [op.set('/hostname', name)] : [];
  },
});
