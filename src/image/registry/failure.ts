import type { ErrorCode } from '../../engine/errors.js';

/** What went wrong at one place, said without the reference (the caller adds it, and the location). */
export class RegistryFailure extends Error {
  readonly code: ErrorCode;
  readonly reason: string;
  /** A TLS hello was answered with something that is not TLS: the server speaks plain HTTP there. */
  readonly notTls: boolean;
  constructor(code: ErrorCode, reason: string, notTls = false) {
    super(reason);
    this.name = 'RegistryFailure';
    this.code = code;
    this.reason = reason;
    this.notTls = notTls;
  }
}
