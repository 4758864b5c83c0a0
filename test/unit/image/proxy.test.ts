import { describe, expect, it } from 'vitest';
import { ProxyError, proxyFor, proxySettings, shownProxy } from '../../../src/image/registry/proxy.js';

describe('proxySettings', () => {
  it.each<[string, NodeJS.ProcessEnv, ReturnType<typeof proxySettings>]>([
    ['none', {}, undefined],
    ['empty values count as unset', { HTTP_PROXY: ' ', https_proxy: '' }, undefined],
    ['upper case', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'a.example' }, { https: 'http://p:3128', noProxy: 'a.example' }],
    ['lower case wins', { HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:2' }, { http: 'http://lower:2' }],
    ['NO_PROXY alone sets nothing', { NO_PROXY: '*' }, undefined],
    ['a proxy without a scheme is http://', { HTTPS_PROXY: 'proxy.corp:3128' }, { https: 'http://proxy.corp:3128' }],
  ])('%s', (_what, env, expected) => {
    expect(proxySettings(env)).toEqual(expected);
  });

  it.each([
    [{ HTTPS_PROXY: 'socks5://proxy.corp:1080' }, 'HTTPS_PROXY: socks5 proxies are not supported (ctnr tunnels through HTTP proxies: http:// or https://)'],
    [{ http_proxy: 'http://[bad' }, 'HTTP_PROXY is not a proxy URL (http://[user:password@]host:port)'],
  ])('%o is refused with a message', (env, message) => {
    expect(() => proxySettings(env)).toThrow(ProxyError);
    expect(() => proxySettings(env)).toThrow(message);
  });
});

describe('proxyFor: which requests go through which proxy', () => {
  const both = { http: 'http://hp:1', https: 'http://sp:2', noProxy: 'direct.example, .corp, cache.example:8443, [fd00::1]:5000' };
  it.each<[string, string, typeof both | { http?: string; https?: string; noProxy?: string } | undefined, string | undefined]>([
    ['no settings', 'https://registry-1.docker.io/v2/', undefined, undefined],
    ['https uses HTTPS_PROXY', 'https://registry-1.docker.io/v2/', both, 'http://sp:2'],
    ['http uses HTTP_PROXY', 'http://reg.example:5000/v2/', both, 'http://hp:1'],
    ['https without HTTPS_PROXY goes direct (not through HTTP_PROXY)', 'https://registry-1.docker.io/v2/', { http: 'http://hp:1' }, undefined],
    ['a NO_PROXY name', 'https://direct.example/v2/', both, undefined],
    ['a subdomain of a NO_PROXY name', 'https://a.direct.example/v2/', both, undefined],
    ['a .suffix', 'https://reg.corp/v2/', both, undefined],
    ['not a suffix of a longer name', 'https://notdirect.example/v2/', both, 'http://sp:2'],
    ['a NO_PROXY host:port on its port', 'https://cache.example:8443/v2/', both, undefined],
    ['a NO_PROXY host:port on another port', 'https://cache.example/v2/', both, 'http://sp:2'],
    ['an IPv6 host:port', 'http://[fd00::1]:5000/v2/', both, undefined],
    ['*', 'https://anything.example/', { https: 'http://sp:2', noProxy: '*' }, undefined],
    ['localhost', 'https://localhost:5000/v2/', both, undefined],
    ['127.0.0.0/8', 'http://127.1.2.3:5000/v2/', both, undefined],
    ['::1', 'http://[::1]:5000/v2/', both, undefined],
    ['case does not matter', 'https://DIRECT.example/v2/', both, undefined],
    ['an IPv4 in a NO_PROXY CIDR', 'https://10.1.2.3:5000/v2/', { https: 'http://sp:2', noProxy: '10.0.0.0/8' }, undefined],
    ['an IPv4 outside it', 'https://11.1.2.3:5000/v2/', { https: 'http://sp:2', noProxy: '10.0.0.0/8' }, 'http://sp:2'],
  ])('%s', (_what, url, settings, expected) => {
    expect(proxyFor(url, settings)).toBe(expected);
  });
});

describe('shownProxy', () => {
  it.each([
    ['http://user:p%40ss@proxy.example:3128', 'http://proxy.example:3128'],
    ['http://proxy.example:3128/', 'http://proxy.example:3128'],
    ['not a url', 'the proxy'],
  ])('%s → %s', (given, shown) => {
    expect(shownProxy(given)).toBe(shown);
  });
});
