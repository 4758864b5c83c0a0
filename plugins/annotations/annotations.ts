import { definePlugin } from '../../src/engine/define.js';
import { CTNR_PREFIX, isCtnrOwned, setAnnotations } from '../../src/spec/annotations.js';

/**
 * Image labels, then compose `labels`, then compose `annotations` → `annotations` (later sources win, so the
 * compose file overrides the image). Keys ctnr derives itself (src/spec/annotations.ts) are refused from the
 * compose file, naming the key; an image label in ctnr's `io.ctnr.` namespace is refused too (an image must not
 * pre-seed what ctnr's hooks and supervisors trust), and an image label with one of the two OCI keys ctnr
 * derives is ignored with a warning (the image's own StopSignal/ExposedPorts config is what counts).
 */
export function annotationsPlugin() {
  return definePlugin({
    name: 'ctnr:annotations',
    stage: 'annotations',
    apply({ service, image, spec, error, warn }) {
      const out = new Map<string, string>();
      for (const [key, value] of Object.entries(image?.Labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (key.startsWith(CTNR_PREFIX)) error(`image label "${key}" is in ctnr's own annotation namespace (${CTNR_PREFIX}*), which only ctnr's plugins may write`);
        else if (isCtnrOwned(key)) warn(`image label "${key}" ignored: ctnr derives that annotation from the image's config and the service`);
        else out.set(key, String(value));
      }
      for (const source of ['labels', 'annotations'] as const) {
        const entries = service[source] ?? {};
        for (const [key, value] of Object.entries(entries)) {
          if (isCtnrOwned(key)) {
            const hint = key.startsWith(CTNR_PREFIX) ? `it is in ctnr's own namespace (${CTNR_PREFIX}*), which only ctnr's plugins may write` : `ctnr derives it (use ${key.endsWith('stopSignal') ? 'stop_signal' : 'expose'})`;
            error(`${source === 'labels' ? 'label' : 'annotation'} "${key}" cannot be set: ${hint}`, [source, key]);
          } else {
            out.delete(key); // keep insertion order = precedence order for a readable spec
            out.set(key, value);
          }
        }
      }
      return setAnnotations(spec, [...out]);
    },
  });
}
