import { definePlugin, ops } from 'ctnr';

/**
 * An organisation plugin in a relative .ts file: stamps every spec with the owning team, so a runtime
 * supervisor can route alerts. Shows the plugin shape: a factory, zero mutation, ops out.
 */
export function teamAnnotationPlugin(options: { team: string }) {
  return definePlugin({
    name: 'example:team-annotation',
    stage: 'annotations',
    options,
    apply({ spec, options }) {
      const out = spec.annotations ? [] : [ops.add('/annotations', {})];
      return [...out, ops.add('/annotations/org.example.team', options.team)];
    },
  });
}
