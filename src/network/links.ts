import { HOST_NAME_RULE, isHostName, SERVICE_NAME, SERVICE_NAME_RULE } from '../compose/names.js';
import { SAFE_NAME, type Link } from './settings.js';

/**
 * compose's legacy links: `links: [SERVICE[:ALIAS]]` names a service of the project, `external_links:
 * [CONTAINER[:ALIAS]]` a container started elsewhere (for ctnr: one `ctnr ps` lists). Without an alias the name
 * itself is the alias. On a compose network both are host names of the linking container only: its /etc/hosts
 * resolves ALIAS to the linked container's address (the network hook writes them).
 */

/** One entry, parsed; a string is the reason it is not one. */
export function parseLink(entry: string, kind: 'links' | 'external_links'): Link | string {
  const parts = entry.split(':');
  if (parts.length > 2) return `"${entry}" is not ${kind === 'links' ? 'SERVICE[:ALIAS]' : 'CONTAINER[:ALIAS]'}`;
  const [target = '', alias = target] = parts;
  if (kind === 'links') {
    if (!SERVICE_NAME.test(target)) return `"${target}" is not a service name (${SERVICE_NAME_RULE})`;
  } else if (!SAFE_NAME.test(target)) {
    return `"${target}" is not a container name (letters, digits, "_", "." and "-", starting with a letter or digit)`;
  }
  if (!isHostName(alias)) return `alias "${alias}" is not a host name (${HOST_NAME_RULE})`;
  return kind === 'links' ? { alias, service: target } : { alias, container: target };
}

/** The services `links:` names (its dependencies), ignoring malformed entries (the network hook reports them). */
export function linkedServices(links: readonly unknown[] | undefined): string[] {
  const out: string[] = [];
  for (const l of links ?? []) {
    if (typeof l !== 'string') continue;
    const parsed = parseLink(l, 'links');
    if (typeof parsed !== 'string' && 'service' in parsed) out.push(parsed.service);
  }
  return out;
}
