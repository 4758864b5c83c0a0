import { defineConfig } from 'ctnr';
import { teamAnnotationPlugin } from './examples/plugins/team-annotation.js';

// This repository's own config: the default preset (used when `presets` is absent) plus one custom plugin
// from a relative .ts file. `ctnr plan` and `ctnr explain` show where each part came from.
export default defineConfig({
  plugins: [teamAnnotationPlugin({ team: 'platform' })],
});
