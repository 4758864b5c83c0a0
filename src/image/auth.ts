import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { DOCKER_HUB } from './reference.js';

/**
 * Registry credentials as docker, podman and skopeo keep them (containers/image pkg/docker/config): auth.json /
 * config.json files with `auths`, `credHelpers` and `credsStore`, and `docker-credential-<name>` helpers.
 * Nothing here prints or puts a secret into an error message.
 */

export type Credentials = { username: string; password: string } | { identityToken: string };

export interface AuthEnv {
  env?: NodeJS.ProcessEnv;
  home?: string;
  /**
   * Runs `docker-credential-<helper> get` with `input` on stdin and returns its stdout; throws on failure.
   * The default spawns it from `env`'s PATH.
   */
  run?: (helper: string, input: string) => Promise<string>;
}

interface AuthFile {
  path: string;
  /** ~/.dockercfg: the `auths` map is the whole file, keys are registries only. */
  legacy?: boolean;
}

interface AuthEntry {
  auth?: unknown;
  identitytoken?: unknown;
}

interface ConfigFile {
  auths: Record<string, AuthEntry>;
  credHelpers: Record<string, string>;
  credsStore?: string;
}

/** Docker Hub's key in docker's config.json, and what docker hands a credential helper for it. */
const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';
const DOCKER_HUB_NAMES = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io']);

/**
 * Files searched, in order (the first that has an entry for the registry wins): $REGISTRY_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json, ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json,
 * ${DOCKER_CONFIG:-~/.docker}/config.json, ~/.dockercfg. Unlike podman, $REGISTRY_AUTH_FILE does not hide the
 * others: a registry it has no entry for is still found in docker's file.
 */
export function authFiles(opts: AuthEnv = {}): AuthFile[] {
  const env = opts.env ?? process.env;
  const home = opts.home ?? env.HOME ?? os.homedir();
  const files: AuthFile[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push({ path: env.REGISTRY_AUTH_FILE });
  if (env.XDG_RUNTIME_DIR) files.push({ path: path.join(env.XDG_RUNTIME_DIR, 'containers/auth.json') });
  files.push({ path: path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'containers/auth.json') });
  files.push({ path: path.join(env.DOCKER_CONFIG || path.join(home, '.docker'), 'config.json') });
  files.push({ path: path.join(home, '.dockercfg'), legacy: true });
  const seen = new Set<string>();
  return files.filter((f) => !seen.has(f.path) && seen.add(f.path));
}

/**
 * Where `ctnr login` writes: podman's rule — $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json.
 * Without XDG_RUNTIME_DIR (root in a plain shell, CI) podman uses /run/containers/$UID/auth.json, a tmpfs that
 * forgets the login at reboot; we use ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json instead, which lasts
 * and which podman, skopeo and buildah read too.
 */
export function defaultAuthFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'containers/auth.json');
  return path.join(env.XDG_CONFIG_HOME || path.join(env.HOME ?? os.homedir(), '.config'), 'containers/auth.json');
}

/**
 * Credentials for `registry` (as in a reference: `docker.io`, `host:5000`) and `repository` (`library/postgres`).
 * Per file: its `credHelpers` entry for the registry (that helper's answer is the file's answer), then `auths`
 * keys repository → namespace → registry (exact), then keys that normalise to the registry (`https://host/v1/`,
 * Docker Hub's names), then `credsStore`. `source` says where they came from (a path or a helper), never what.
 */
export async function findCredentials(registry: string, repository: string, opts: AuthEnv = {}): Promise<{ credentials: Credentials; source: string } | undefined> {
  for (const file of authFiles(opts)) {
    const config = readConfigFile(file);
    if (config === undefined) continue;
    const found = await findInFile(config, file, registry, repository, opts);
    if (found !== undefined) return found;
  }
  return undefined;
}

async function findInFile(config: ConfigFile, file: AuthFile, registry: string, repository: string, opts: AuthEnv) {
  const isHub = DOCKER_HUB_NAMES.has(registry);
  const helperKeys = isHub ? [registry, ...DOCKER_HUB_NAMES, DOCKER_HUB_SERVER] : [registry];
  const helperKey = helperKeys.find((k) => Object.hasOwn(config.credHelpers, k));
  if (helperKey !== undefined) {
    const helper = config.credHelpers[helperKey]!;
    const credentials = await askHelper(helper, registry, `credHelpers in ${file.path}`, opts);
    return credentials && { credentials, source: `docker-credential-${helper} (credHelpers in ${file.path})` };
  }

  const exactKeys = file.legacy ? [registry] : keysFromRepository(`${registry}/${repository}`);
  const wanted = normaliseRegistryKey(registry, false);
  const keys = [...exactKeys, ...Object.keys(config.auths).filter((k) => !exactKeys.includes(k) && normaliseRegistryKey(k, file.legacy === true) === wanted)];
  for (const key of keys) {
    const entry = Object.hasOwn(config.auths, key) ? config.auths[key] : undefined;
    const credentials = entry && decodeEntry(entry, key, file.path);
    if (credentials !== undefined) return { credentials, source: file.path };
  }

  if (config.credsStore !== undefined) {
    const credentials = await askHelper(config.credsStore, registry, `credsStore in ${file.path}`, opts);
    if (credentials !== undefined) return { credentials, source: `docker-credential-${config.credsStore} (credsStore in ${file.path})` };
  }
  return undefined;
}

/** `r/a/b/c` → `r/a/b/c`, `r/a/b`, `r/a`, `r`. */
function keysFromRepository(key: string): string[] {
  const keys = [key];
  for (let i = key.lastIndexOf('/'); i > 0; i = key.lastIndexOf('/', i - 1)) keys.push(key.slice(0, i));
  return keys;
}

/** An auths key as a registry name: URL keys (`https://host/v1/`) lose scheme and path; Hub names are one. */
function normaliseRegistryKey(key: string, legacy: boolean): string {
  let host = key.replace(/^https?:\/\//, '');
  if (legacy || host !== key) host = host.split('/')[0]!;
  return DOCKER_HUB_NAMES.has(host) ? DOCKER_HUB : host;
}

function decodeEntry(entry: AuthEntry, key: string, file: string): Credentials | undefined {
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') return { identityToken: entry.identitytoken };
  if (entry.auth === undefined || entry.auth === '') return undefined; // docker's marker for a helper-held login
  if (typeof entry.auth !== 'string') throw new CtnrError('REGISTRY_AUTH', `${file}: auths["${key}"].auth must be a base64 string`);
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new CtnrError('REGISTRY_AUTH', `${file}: auths["${key}"].auth is not base64 of USER:PASSWORD`);
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1).replace(/\0+$/, '') };
}

/** undefined when the file does not exist; a REGISTRY_AUTH error naming the file when it cannot be used. */
function readConfigFile(file: AuthFile): ConfigFile | undefined {
  let text: string;
  try {
    text = readFileSync(file.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CtnrError('REGISTRY_AUTH', `cannot read credentials file ${file.path}: ${code ?? String(err)}`);
  }
  const doc = parseJsonFile(text, file.path);
  if (file.legacy) return { auths: objectField(doc, undefined, file.path) as Record<string, AuthEntry>, credHelpers: {} };
  const credsStore = doc.credsStore;
  if (credsStore !== undefined && (typeof credsStore !== 'string' || credsStore === '')) throw new CtnrError('REGISTRY_AUTH', `${file.path}: credsStore must be a helper name`);
  const credHelpers = objectField(doc, 'credHelpers', file.path);
  for (const [k, v] of Object.entries(credHelpers)) {
    if (typeof v !== 'string' || v === '') throw new CtnrError('REGISTRY_AUTH', `${file.path}: credHelpers["${k}"] must be a helper name`);
  }
  const config: ConfigFile = { auths: objectField(doc, 'auths', file.path) as Record<string, AuthEntry>, credHelpers: credHelpers as Record<string, string> };
  if (credsStore !== undefined) config.credsStore = credsStore;
  return config;
}

/** JSON.parse's own message quotes the text around the error, which may be a secret: give the line and column only. */
function parseJsonFile(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    const pos = /position (\d+)/.exec((err as Error).message);
    let where = '';
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      where = ` at line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
    }
    throw new CtnrError('REGISTRY_AUTH', `credentials file ${file} is not valid JSON${where}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new CtnrError('REGISTRY_AUTH', `credentials file ${file} must hold a JSON object`);
  return doc as Record<string, unknown>;
}

function objectField(doc: Record<string, unknown>, key: string | undefined, file: string): Record<string, unknown> {
  const value = key === undefined ? doc : doc[key];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new CtnrError('REGISTRY_AUTH', `${file}: ${key ?? 'the file'} must be a JSON object`);
  for (const [k, v] of Object.entries(value)) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      if (key !== 'credHelpers') throw new CtnrError('REGISTRY_AUTH', `${file}: ${key ?? 'auths'}["${k}"] must be a JSON object`);
    }
  }
  return value as Record<string, unknown>;
}

/**
 * Ask `docker-credential-<helper> get`. Docker Hub is asked as `https://index.docker.io/v1/` (docker's key) and
 * then as `docker.io` (podman's). A helper that says "credentials not found" is no answer, not an error.
 */
async function askHelper(helper: string, registry: string, where: string, opts: AuthEnv): Promise<Credentials | undefined> {
  const run = opts.run ?? ((name: string, input: string) => runHelper(name, input, opts.env ?? process.env));
  const servers = DOCKER_HUB_NAMES.has(registry) ? [DOCKER_HUB_SERVER, DOCKER_HUB] : [registry];
  for (const server of servers) {
    let out: string;
    try {
      out = await run(helper, server);
    } catch (err) {
      const message = err instanceof CtnrError ? err.message : String((err as Error)?.message ?? err);
      if (/credentials not found/i.test(message)) continue;
      throw new CtnrError('REGISTRY_AUTH', `credential helper docker-credential-${helper} (${where}) failed for ${registry}: ${firstLine(message)}`);
    }
    let answer: { Username?: unknown; Secret?: unknown };
    try {
      answer = JSON.parse(out) as typeof answer;
    } catch {
      throw new CtnrError('REGISTRY_AUTH', `credential helper docker-credential-${helper} (${where}) answered ${registry} with something that is not JSON`);
    }
    if (typeof answer.Secret !== 'string' || answer.Secret === '') continue;
    // Helpers return an identity (refresh) token with the username "<token>".
    if (answer.Username === '<token>') return { identityToken: answer.Secret };
    return { username: typeof answer.Username === 'string' ? answer.Username : '', password: answer.Secret };
  }
  return undefined;
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

const HELPER_TIMEOUT_MS = 60_000;

/** Spawns `docker-credential-<helper> get`; stdout is the answer, and on failure also the reason (docker's protocol). */
function runHelper(helper: string, input: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: HELPER_TIMEOUT_MS });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === 'ENOENT' ? `docker-credential-${helper} is not installed (not found on PATH)` : e.message));
    });
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) return resolve(stdout);
      const why = stdout.trim() || Buffer.concat(err).toString('utf8').trim() || (signal ? `killed by ${signal}` : `exit status ${code}`);
      reject(new Error(why));
    });
    child.stdin.on('error', () => {}); // a helper that exits without reading stdin
    child.stdin.end(input);
  });
}

/**
 * Store a login as `auths[registry].auth` (base64 of user:password) in `file`, keeping everything else in it.
 * The directory is created 0700, the file written 0600 through a temporary file renamed over it (a crash never
 * leaves half a file). Returns the path written.
 */
export function storeLogin(registry: string, credentials: { username: string; password: string }, file: string = defaultAuthFile()): string {
  if (!/^[^\s/][^\s]*$/.test(registry) || registry === '__proto__') throw new CtnrError('REGISTRY_AUTH', `"${registry}" is not a registry to log in to`);
  const target = resolveTarget(file);
  const doc = readForEdit(target);
  const auths = objectField(doc, 'auths', target);
  // A new password replaces the whole entry: an old identity token would otherwise win over it.
  auths[registry] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64') };
  doc.auths = auths;
  writeAtomically(target, doc);
  return target;
}

/** Remove the login for `registry` (Docker Hub: also docker's URL key). False when there was none. */
export function removeLogin(registry: string, file: string = defaultAuthFile()): boolean {
  const target = resolveTarget(file);
  const doc = readForEdit(target);
  const auths = objectField(doc, 'auths', target);
  const keys = DOCKER_HUB_NAMES.has(registry) ? [registry, ...DOCKER_HUB_NAMES, DOCKER_HUB_SERVER] : [registry];
  const present = keys.filter((k) => Object.hasOwn(auths, k));
  if (present.length === 0) return false;
  for (const k of present) delete auths[k];
  writeAtomically(target, doc);
  return true;
}

/**
 * A symlinked auth file (dotfile managers do this) is edited where it points, not replaced by a file. What is
 * there must be a regular file: `--authfile /dev/null` must not rename a file over a device.
 */
function resolveTarget(file: string): string {
  let target: string;
  try {
    target = realpathSync(file);
  } catch {
    return path.resolve(file);
  }
  if (!statSync(target).isFile()) throw new CtnrError('REGISTRY_AUTH', `credentials file ${file} is not a regular file; not written`);
  return target;
}

function readForEdit(file: string): Record<string, unknown> {
  try {
    return parseJsonFile(readFileSync(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    if (err instanceof CtnrError) throw err;
    throw new CtnrError('REGISTRY_AUTH', `cannot read credentials file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function writeAtomically(file: string, doc: Record<string, unknown>): void {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(temp, `${JSON.stringify(doc, null, '\t')}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw new CtnrError('REGISTRY_AUTH', `cannot write credentials file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
