/** The names a bundle directory's own files have: the writer, the metadata reader and the store agree on them. */
export const CONFIG_FILE = 'config.json';
export const METADATA_FILE = 'ctnr.json';
