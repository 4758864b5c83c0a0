/**
 * The registry side of pulling: an OCI distribution API client (anonymous, Basic and Bearer auth, mirrors,
 * insecure and loopback registries (unchecked certificate, then plain HTTP), retries). The pieces live in ./registry/:
 *   endpoint.ts   where requests go (Docker Hub's API host, mirrors with path prefixes, insecure or not)
 *   http.ts       fetch with timeouts, 5xx/429 retries, failures said as one reason
 *   challenge.ts  WWW-Authenticate parsing
 *   session.ts    ping (HTTPS, then plain HTTP for an insecure registry), credentials, bearer tokens per scope, one refresh on 401
 *   transport.ts  which fetch: Node's, or undici's for proxies, certs.d and unchecked certificates
 *   source.ts     manifests and blobs of one repository, openSource (mirrors in order), checkLogin
 */
export { checkLogin, openSource, type ManifestResponse, type RegistryOptions, type RegistrySource } from './registry/source.js';
export { endpointsFor, isLoopback, type Endpoint } from './registry/endpoint.js';
export { parseChallenges, type Challenge } from './registry/challenge.js';
