import { z } from 'zod';
import { definePlugin, definePreset } from '../engine/define.js';
import { defineConfig } from '../config/define.js';
import { op } from '../plugin-kit/op.js';
import { policyValidator } from '../policy/validator.js';
import { CONTROLS } from '../policy/controls.js';
import { baselinePreset } from '../../presets/baseline.js';
import { restrictedPreset } from '../../presets/restricted.js';
import { imagesPreset } from '../../presets/images.js';
import { CtnrError, isCtnrError } from './errors.js';

/**
 * What a runtime config module gets when its default export is a function: `export default (ctnr) => ({ … })`.
 * A config in /etc/ctnr cannot `import 'ctnr'` (no node_modules there, and a global install is not on Node's
 * search path), and loading the library a second time, unbundled, costs about a second per `create` on these
 * machines. This is ctnr-runtime's own copy: the plugin kit, the policy presets and the policy building blocks.
 * (The compose-mode presets are no use here: their mutators need a compose service; name them as strings.)
 */
export const runtimeApi = Object.freeze({
  definePlugin,
  definePreset,
  defineConfig,
  op,
  z,
  CtnrError,
  isCtnrError,
  baselinePreset,
  restrictedPreset,
  imagesPreset,
  policyValidator,
  CONTROLS,
});

export type RuntimeApi = typeof runtimeApi;
