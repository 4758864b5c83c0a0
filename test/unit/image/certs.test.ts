import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { CertsError, certsDirs, certsName, registryTls } from '../../../src/image/registry/certs.js';
import { tempDir } from '../../helpers/registry.js';

describe('certs.d', () => {
  const tmp = tempDir('ctnr-certsd-');
  afterAll(() => tmp.remove());
  const env = { HOME: '/home/u', XDG_CONFIG_HOME: tmp.dir };

  it.each([
    ['https://registry.example', 'registry.example'],
    ['https://registry.example:443', 'registry.example'],
    ['https://registry.example:5000', 'registry.example:5000'],
    ['https://10.0.0.1:5000', '10.0.0.1:5000'],
  ])('%s is named %s', (origin, name) => expect(certsName(origin)).toBe(name));

  it('looks in the user’s containers directory (not for root), then /etc/containers, then /etc/docker', () => {
    expect(certsDirs('r:5000', { HOME: '/home/u' }, 1000)).toEqual(['/home/u/.config/containers/certs.d/r:5000', '/etc/containers/certs.d/r:5000', '/etc/docker/certs.d/r:5000']);
    expect(certsDirs('r', { XDG_CONFIG_HOME: '/x' }, 1000)[0]).toBe('/x/containers/certs.d/r');
    expect(certsDirs('r', { XDG_CONFIG_HOME: '/x' }, 0)).toEqual(['/etc/containers/certs.d/r', '/etc/docker/certs.d/r']);
  });

  it.each<[string, Record<string, string>, 'ca' | 'client' | 'both' | RegExp]>([
    ['a CA', { 'ca.crt': 'CA1' }, 'ca'],
    ['a client certificate', { 'me.cert': 'CERT', 'me.key': 'KEY' }, 'client'],
    ['both', { 'a.crt': 'CA1', 'me.cert': 'CERT', 'me.key': 'KEY', 'README': 'ignored' }, 'both'],
    ['a certificate without its key', { 'me.cert': 'CERT' }, /me\.cert has no key beside it \(me\.key\)$/],
    ['a key without its certificate', { 'me.key': 'KEY' }, /me\.key has no certificate beside it \(me\.cert\)$/],
  ])('%s', (what, files, expected) => {
    const host = `${what.replace(/\W+/g, '-').toLowerCase()}.example:5000`;
    const dir = path.join(tmp.dir, 'containers/certs.d', host);
    mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(path.join(dir, f), text);
    if (expected instanceof RegExp) {
      expect(() => registryTls(`https://${host}`, env, 1000)).toThrow(CertsError);
      expect(() => registryTls(`https://${host}`, { ...env, HOME: '/other' }, 1000)).toThrow(expected);
      return;
    }
    const tls = registryTls(`https://${host}`, env, 1000);
    expect(registryTls(`https://${host}`, env, 0)).toBeUndefined();
    expect(tls?.dir).toBe(dir);
    expect(tls?.ca).toEqual(expected === 'client' ? undefined : [...rootCertificates, 'CA1']);
    expect([tls?.cert, tls?.key]).toEqual(expected === 'ca' ? [undefined, undefined] : ['CERT', 'KEY']);
  });

  it('none for a registry without a directory, for plain HTTP, and for a name that is not one path segment', () => {
    expect(registryTls('https://nothing.example', env, 1000)).toBeUndefined();
    mkdirSync(path.join(tmp.dir, 'containers/certs.d/plain.example'), { recursive: true });
    expect(registryTls('http://plain.example', env, 1000)).toBeUndefined();
    expect(registryTls('https://..', env, 1000)).toBeUndefined();
  });
});
