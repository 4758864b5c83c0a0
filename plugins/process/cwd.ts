import path from 'node:path/posix';
import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';

/** `process.cwd`: the service's `working_dir`, else the image WorkingDir, else `/`. Must be absolute. */
export function cwdPlugin() {
  return definePlugin({
    name: 'ctnr:cwd',
    stage: 'process',
    apply({ service, image, spec, error }) {
      const cwd = service.working_dir || image?.WorkingDir || '';
      if (cwd === '') return [];
      if (!cwd.startsWith('/')) {
        error(`"${cwd}" is not an absolute path`, service.working_dir ? ['working_dir'] : []);
        return [];
      }
      const normal = path.normalize(cwd);
      return [ops.set(spec, '/process/cwd', normal.length > 1 ? normal.replace(/\/$/, '') : normal)];
    },
  });
}
