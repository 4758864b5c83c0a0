import { isCtnrError, type CtnrError } from '../../src/engine/errors.js';

/**
 * The CtnrError `work` throws or rejects with (a function, sync or async, or a promise); anything else thrown fails
 * the test, as does no error.
 */
export async function ctnrFailure(work: (() => unknown) | PromiseLike<unknown>): Promise<CtnrError> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (err) {
    if (isCtnrError(err)) return err;
    throw err;
  }
  throw new Error('expected a CtnrError');
}

/** The CtnrError `fn` throws, synchronously (see ctnrFailure). */
export function thrownCtnrError(fn: () => unknown): CtnrError {
  try {
    fn();
  } catch (err) {
    if (isCtnrError(err)) return err;
    throw err;
  }
  throw new Error('expected a CtnrError');
}
