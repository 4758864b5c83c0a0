import { CtnrError } from '../engine/errors.js';
import { applyTar } from './unpack-apply.js';

/**
 * Entry of the rootless unpacking helper (see unpack-userns.ts): runs as root inside a user namespace, applies
 * the uncompressed layer tar on stdin to the root named in argv, and reports as one JSON object on stdout.
 */

const { root } = JSON.parse(process.argv[2] ?? '{}') as { root?: string };
try {
  if (!root) throw new CtnrError('IMAGE_UNPACK', 'unpack helper: no root directory given');
  const result = await applyTar(root, process.stdin, { privileged: true, userNamespace: true });
  process.stdout.write(JSON.stringify({ ok: true, ...result }));
} catch (err) {
  const code = err instanceof CtnrError ? err.code : 'IMAGE_UNPACK';
  process.stdout.write(JSON.stringify({ ok: false, code, message: (err as Error).message }));
  process.exitCode = 1;
}
