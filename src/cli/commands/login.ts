import { defaultAuthFile, removeLogin, storeLogin } from '../../image/auth.js';
import { CtnrError } from '../../engine/errors.js';
import { checkLogin } from '../../image/registry.js';
import { loadConfig } from '../../config/load.js';

export interface LoginOptions {
  username?: string;
  passwordStdin?: boolean;
  authfile?: string;
  config?: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  // A trailing newline from `echo`/heredocs is not part of the password (docker strips it too).
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Registry host as a key: `https://index.docker.io/v1/` and `docker.io` are one registry. */
function registryKey(text: string): string {
  const host = text.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (host === '' || /\s/.test(host)) throw new CtnrError('USAGE', `"${text}" is not a registry host`);
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/** `ctnr login REGISTRY -u USER --password-stdin`: check the credentials with the registry, then store them. */
export async function loginCommand(registry: string, opts: LoginOptions): Promise<void> {
  const host = registryKey(registry);
  if (!opts.username) throw new CtnrError('USAGE', 'login needs -u USER');
  if (!opts.passwordStdin) throw new CtnrError('USAGE', 'login reads the password from standard input: pass --password-stdin (never put it on the command line)');
  const password = await readStdin();
  if (password === '') throw new CtnrError('USAGE', 'no password on standard input');
  const loaded = await loadConfig(process.cwd(), opts.config);
  await checkLogin(host, { username: opts.username, password }, loaded.config.registries ? { registries: loaded.config.registries } : {});
  const file = storeLogin(host, { username: opts.username, password }, opts.authfile ?? defaultAuthFile());
  process.stdout.write(`Login succeeded (credentials for ${host} stored in ${file})\n`);
}

export async function logoutCommand(registry: string, opts: LoginOptions): Promise<void> {
  const host = registryKey(registry);
  const file = opts.authfile ?? defaultAuthFile();
  if (!removeLogin(host, file)) throw new CtnrError('USAGE', `not logged in to ${host} (no entry in ${file})`);
  process.stdout.write(`Removed login credentials for ${host} from ${file}\n`);
}
