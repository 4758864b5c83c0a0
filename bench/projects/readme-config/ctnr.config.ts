// ctnr.config.ts — found from the compose file's directory upward (README)
import { defineConfig } from 'ctnr';
import { motdPlugin } from './plugins/motd.js';

export default defineConfig({
  presets: ['default'],
  plugins: [motdPlugin({ text: 'hello from acme' })],
});
