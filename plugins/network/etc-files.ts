import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import type { BundleFile, Operation } from '../../src/engine/types.js';
import type { Mount } from '../../src/spec/types.js';
import type { ExtraHost } from '../../src/engine/service.js';
import { namespaceState } from '../../src/network/spec-facts.js';
import { containerResolvConf, parseResolvConf, renderResolvConf, type ResolvConf } from '../../src/network/resolv.js';

/** Where generated files live inside the bundle; bind sources are relative to the bundle dir (runc resolves them). */
export const ETC_DIR = 'files/etc';
const BIND_OPTIONS = ['rbind', 'rprivate', 'ro', 'nosuid', 'nodev', 'noexec'];

type EtcName = 'hostname' | 'hosts' | 'resolv.conf';
/** Each file's place in the container and in the bundle, spelled once instead of per service. */
const ETC_PATHS: Record<EtcName, { dest: string; path: string }> = {
  hostname: { dest: '/etc/hostname', path: `${ETC_DIR}/hostname` },
  hosts: { dest: '/etc/hosts', path: `${ETC_DIR}/hosts` },
  'resolv.conf': { dest: '/etc/resolv.conf', path: `${ETC_DIR}/resolv.conf` },
};

/** The entries every container's /etc/hosts starts with (docker's set). */
export const BASE_HOSTS = [
  ['127.0.0.1', 'localhost'],
  ['::1', 'localhost ip6-localhost ip6-loopback'],
  ['fe00::0', 'ip6-localnet'],
  ['ff00::0', 'ip6-mcastprefix'],
  ['ff02::1', 'ip6-allnodes'],
  ['ff02::2', 'ip6-allrouters'],
] as const;

/** BASE_HOSTS as file text, built once: every service with a network of its own starts from it. */
const BASE_HOSTS_TEXT = BASE_HOSTS.map(([ip, names]) => `${ip}\t${names}`).join('\n') + '\n';

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * Host files are read once per plugin instance (one engine run over a project): reading them for every
 * service cost more than the rest of the stage. A long-lived engine that must follow changes creates a new one.
 */
function hostFileCache() {
  const texts = new Map<string, string>();
  const resolv = new Map<string, ResolvConf>();
  const rendered = new Map<string, string>();
  const text = (file: string) => {
    let t = texts.get(file);
    if (t === undefined) texts.set(file, (t = readOr(file, '')));
    return t;
  };
  return {
    text,
    resolv(file: string) {
      let r = resolv.get(file);
      if (r === undefined) resolv.set(file, (r = parseResolvConf(text(file))));
      return r;
    },
    /** The container's resolv.conf text when the service sets no dns*: it depends on the host file only. */
    defaultResolvText(file: string, keepLoopback: boolean): string {
      const key = `${keepLoopback ? 1 : 0}${file}`;
      let t = rendered.get(key);
      if (t === undefined) rendered.set(key, (t = renderResolvConf(containerResolvConf(this.resolv(file), [], [], [], { keepLoopback }))));
      return t;
    },
  };
}

/**
 * The container's /etc/hostname, /etc/hosts and /etc/resolv.conf, produced as data: bundle files under
 * `files/etc/` plus read-only bind mounts of them (bundle-relative sources). /etc/hosts gets the standard
 * localhost entries and `extra_hosts` (`host-gateway` resolves to `env.hostGateway`); the network hook adds the
 * container's own address later. resolv.conf follows src/network/resolv.ts (dns, dns_search, dns_opt, else the
 * host's file minus loopback resolvers). With host networking the host's /etc/hosts and /etc/resolv.conf are
 * bound as they are, unless extra_hosts or dns* ask for changes: then copies of them with those changes are
 * generated. A mount the service already has at one of these paths (a volume) wins. Host files are read from
 * `env.hostHostsFile` / `env.hostResolvConf` (default /etc/hosts, /etc/resolv.conf), once per plugin instance.
 */
export function etcFilesPlugin() {
  const host = hostFileCache();
  return definePlugin({
    name: 'ctnr:etc-files',
    stage: 'network',
    after: ['ctnr:namespaces', 'ctnr:hostname'],
    apply({ service, spec, env, error }) {
      const hostHosts = typeof env.hostHostsFile === 'string' ? env.hostHostsFile : '/etc/hosts';
      const hostResolv = typeof env.hostResolvConf === 'string' ? env.hostResolvConf : '/etc/resolv.conf';
      const hostNet = namespaceState(spec, 'network') === 'host';

      const extraHosts: ExtraHost[] = [];
      (service.extra_hosts ?? []).forEach((h, i) => {
        if (h.ip !== 'host-gateway') return void extraHosts.push(h);
        const gw = env.hostGateway;
        if (typeof gw === 'string' && isIP(gw)) extraHosts.push({ host: h.host, ip: gw });
        else error(`extra_hosts "${h.host}:host-gateway" needs the host's gateway address (env.hostGateway), which is not known here`, ['extra_hosts', i]);
      });
      const dns = service.dns ?? [];
      dns.forEach((ip, i) => {
        if (isIP(ip.trim()) === 0) error(`dns "${ip}" is not an IP address`, ['dns', i]);
      });
      const dnsSearch = service.dns_search ?? [];
      dnsSearch.forEach((d, i) => {
        if (d !== '.' && !/^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/.test(d)) error(`dns_search "${d}" is not a domain name`, ['dns_search', i]);
      });
      const dnsOpt = service.dns_opt ?? [];
      dnsOpt.forEach((o, i) => {
        if (!/^[a-z][a-z0-9-]*(:\d+)?$/i.test(o)) error(`dns_opt "${o}" is not a resolver option (e.g. ndots:2, edns0)`, ['dns_opt', i]);
      });

      const current = spec.mounts ?? [];
      // Three lookups over a dozen mounts: a scan each, cheaper than building a set of every destination.
      const taken = (dest: string) => current.some((m) => m.destination === dest);
      const files: BundleFile[] = [];
      const mounts: Mount[] = [];
      const generated = (name: EtcName, content: string) => {
        const { dest, path } = ETC_PATHS[name];
        if (taken(dest)) return;
        files.push({ path, content, mode: 0o644 });
        mounts.push({ destination: dest, type: 'bind', source: path, options: [...BIND_OPTIONS] });
      };
      const hostFile = (name: EtcName, source: string) => {
        const { dest } = ETC_PATHS[name];
        if (!taken(dest)) mounts.push({ destination: dest, type: 'bind', source, options: [...BIND_OPTIONS] });
      };

      if (typeof spec.hostname === 'string' && spec.hostname !== '') generated('hostname', `${spec.hostname}\n`);

      if (hostNet && extraHosts.length === 0) hostFile('hosts', hostHosts);
      else {
        let text = hostNet ? host.text(hostHosts) : BASE_HOSTS_TEXT;
        if (text !== '' && !text.endsWith('\n')) text += '\n';
        for (const h of extraHosts) text += `${h.ip}\t${h.host}\n`;
        generated('hosts', text);
      }

      if (hostNet && dns.length === 0 && dnsSearch.length === 0 && dnsOpt.length === 0) hostFile('resolv.conf', hostResolv);
      else {
        // With host networking the host's own (loopback) resolver is reachable, so it is kept.
        const custom = dns.length > 0 || dnsSearch.length > 0 || dnsOpt.length > 0;
        const conf = custom ? renderResolvConf(containerResolvConf(host.resolv(hostResolv), dns.map((d) => d.trim()), dnsSearch, dnsOpt, { keepLoopback: hostNet })) : host.defaultResolvText(hostResolv, hostNet);
        generated('resolv.conf', conf);
      }

      const out: Operation[] = [];
      if (mounts.length > 0) {
        if (spec.mounts === undefined) out.push(ops.add('/mounts', mounts));
        else for (const m of mounts) out.push(ops.add('/mounts/-', m));
      }
      return { ops: out, files };
    },
  });
}
