import { definePlugin } from '../../src/engine/define.js';
import { STOP_SIGNAL_ANNOTATION, setAnnotations } from '../../src/spec/annotations.js';

/** `TERM`, `sigterm`, `SIGTERM` → `SIGTERM`; numbers stay numbers (docker accepts both). */
export function normaliseSignal(sig: string): string {
  const s = sig.trim().toUpperCase();
  return /^\d+$/.test(s) || s.startsWith('SIG') ? s : `SIG${s}`;
}

/** `stop_signal`, else the image's StopSignal → `org.opencontainers.image.stopSignal` (what a supervisor sends on stop). */
export function stopSignalPlugin() {
  return definePlugin({
    name: 'ctnr:stop-signal',
    stage: 'annotations',
    after: ['ctnr:annotations'],
    apply({ service, image, spec }) {
      const sig = service.stop_signal ?? image?.StopSignal;
      return sig ? setAnnotations(spec, [[STOP_SIGNAL_ANNOTATION, normaliseSignal(sig)]]) : [];
    },
  });
}
