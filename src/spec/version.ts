/**
 * runtime-spec version we emit. runc 1.1 accepts it; crun 1.8 refuses it, so `ctnr run` with crun lowers it
 * through env.ociVersion (plugins/process/oci-version.ts).
 */
export const OCI_VERSION = '1.2.0';

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
