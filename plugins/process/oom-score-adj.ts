import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';

/** `oom_score_adj` → `process.oomScoreAdj` (range -1000..1000 checked by the service schema). */
export function oomScoreAdjPlugin() {
  return definePlugin({
    name: 'ctnr:oom-score-adj',
    stage: 'process',
    apply({ service, spec }) {
      return service.oom_score_adj === undefined ? [] : [ops.set(spec, '/process/oomScoreAdj', service.oom_score_adj)];
    },
  });
}
