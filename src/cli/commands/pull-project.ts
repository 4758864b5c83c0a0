import { activeServiceNames, selectService } from '../../compose/select.js';
import { imageForService, type ServiceImageKeys } from '../../image/for-service.js';
import { imageSettings, locatedAt } from '../../project.js';
import { pullProgress } from '../image/progress.js';
import { open, type CommonOptions } from './common.js';
import { note } from './notes.js';

/**
 * `ctnr pull` without references, as `docker compose pull`: the images of the project's services (the active ones,
 * as `up` starts them; `--profile` adds more), each pulled from its registry (or mirrors) whatever the store holds,
 * for the service's `platform:` (or `--platform`). A service that builds its image is left to `ctnr build` (a note says
 * so), one without `image:` has nothing to pull. Each image once, in the file's order: `REFERENCE DIGEST` lines.
 * A failed pull stops there (with the service's location), as compose stops.
 */
export async function pullProjectCommand(opts: CommonOptions): Promise<void> {
  const project = await open(opts);
  const compose = project.compose;
  const settings = { ...imageSettings(project), pull: 'always' };
  const progress = pullProgress();
  if (progress) settings.onProgress = progress;
  const done = new Set<string>();
  for (const name of activeServiceNames(compose)) {
    const selected = selectService(compose, name).input;
    const keys = selected.service as ServiceImageKeys;
    if (keys.build !== undefined && keys.build !== null) {
      note(`${name} builds its image: ctnr build makes it, nothing is pulled`);
      continue;
    }
    if (typeof keys.image !== 'string' || keys.image === '') continue;
    const key = `${keys.image}\0${String(opts.platform ?? keys.platform ?? '')}`;
    if (done.has(key)) continue;
    done.add(key);
    const image = await imageForService(settings, name, keys, true).catch((err: unknown) => {
      throw locatedAt(err, name, selected.source);
    });
    process.stdout.write(`${image.reference ?? keys.image} ${image.manifestDigest}\n`);
  }
}
