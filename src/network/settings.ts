import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CtnrError } from '../engine/errors.js';

/**
 * What the network hook needs to know about a container, written by the hooks stage into the bundle as
 * `ctnr/network.json`. The hook reads it back from the bundle path the runtime passes in the OCI state:
 * the bundle is written by ctnr, so an image cannot spoof these settings (annotations could come from image
 * labels).
 */
export const NETWORK_SETTINGS_FILE = 'ctnr/network.json';

/** Names the hook turns into file names and CNI identifiers: no slashes, no dot-dot. */
export const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The schemas of network.json and of CNI configs, built on first use (`networkSchemas()`): only the network hook
 * (`ctnr hook network`) and the network-hook plugin's `networks` option read them, and building some hundred zod
 * schemas at import cost every `ctnr spec` a few milliseconds.
 */
export function networkSchemas(): NetworkSchemas {
  return (schemas ??= buildSchemas());
}

type NetworkSchemas = ReturnType<typeof buildSchemas>;
let schemas: NetworkSchemas | undefined;

function buildSchemas() {
  const cniPlugin = z.looseObject({ type: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a CNI plugin type is a file name in CNI_PATH') });

  /** A CNI network configuration list (CNI spec "Network Configuration Lists"). */
  const conflistSchema = z.looseObject({
    cniVersion: z.string().min(1),
    name: z.string().regex(SAFE_NAME, 'a CNI network name is letters, digits, _ . -'),
    plugins: z.array(cniPlugin).min(1),
  });

  const portSchema = z.strictObject({
    /** Host side of `HOST:CONTAINER`; absent = an ephemeral port chosen when the container starts. */
    hostPort: z.number().int().min(1).max(65535).optional(),
    containerPort: z.number().int().min(1).max(65535),
    protocol: z.enum(['tcp', 'udp', 'sctp']),
    hostIP: z.string().min(1).optional(),
  });

  const attachmentSchema = z.strictObject({
    /** The key under the service's `networks:` (`default` for the implicit one). */
    key: z.string().min(1),
    /** CNI network name: the top-level network's `name:`, else `<project>_<key>` like compose. */
    name: z.string().regex(SAFE_NAME),
    /** Interface in the container: `interface_name`, else eth0, eth1, … in attachment order. */
    interface: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/),
    /** Names other containers on this network resolve to this one (service name, aliases, hostname). */
    aliases: z.array(z.string().min(1)),
    /** compose `internal: true`: no masquerading, no default route. */
    internal: z.boolean(),
    /** compose `external: true`: the CNI config must exist (project config or config dir); never built in. */
    external: z.boolean(),
    ipv4Address: z.string().optional(),
    /** `mac_address` of this attachment (the service-level one goes to its first network), `aa:bb:cc:dd:ee:ff`. */
    mac: z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/).optional(),
    /** Subnet from the top-level `ipam.config[0].subnet`, if any (else one is allocated from the pool). */
    subnet: z.string().optional(),
    /** A conflist given in the project config (the plugin's `networks` option). */
    config: conflistSchema.optional(),
  });

  /**
   * One `links` (`service`) or `external_links` (`container`) entry: `alias` resolves in this container's
   * /etc/hosts to the linked container's address on a network both are on.
   */
  const linkSchema = z.union([
    z.strictObject({ alias: z.string().min(1), service: z.string().regex(SAFE_NAME) }),
    z.strictObject({ alias: z.string().min(1), container: z.string().regex(SAFE_NAME) }),
  ]);

  const settingsSchema = z.strictObject({
    version: z.literal(1),
    /** `cni` as root; `slirp4netns` rootless (CNI bridge and portmap need root on the host). */
    mode: z.enum(['cni', 'slirp4netns']),
    project: z.string(),
    service: z.string(),
    /** Per-network state files live in `<dataDir>/networks/`. */
    dataDir: z.string().refine((p) => path.isAbsolute(p), 'must be absolute'),
    cniPath: z.array(z.string().refine((p) => path.isAbsolute(p), 'must be absolute')).min(1),
    confDir: z.string().refine((p) => path.isAbsolute(p), 'must be absolute'),
    /** Pool the built-in config takes one /24 per network from. */
    subnetPool: z.string(),
    /** Bundle-relative path of the hosts file bind-mounted at /etc/hosts (rewritten in place). */
    hostsFile: z.string().optional(),
    networks: z.array(attachmentSchema),
    /** Published ports; they go to the first network (portmap), or to slirp4netns's port forwarding. */
    ports: z.array(portSchema),
    /** `links` and `external_links`, in that order. */
    links: z.array(linkSchema).optional(),
  });

  return { conflistSchema, portSchema, attachmentSchema, linkSchema, settingsSchema };
}

export type Conflist = z.infer<NetworkSchemas['conflistSchema']>;
export type PortForward = z.infer<NetworkSchemas['portSchema']>;
export type NetworkAttachment = z.infer<NetworkSchemas['attachmentSchema']>;
export type Link = z.infer<NetworkSchemas['linkSchema']>;
export type NetworkSettings = z.infer<NetworkSchemas['settingsSchema']>;

/** Read and check `ctnr/network.json` of a bundle. */
export function readSettings(bundle: string): NetworkSettings {
  const file = path.join(bundle, NETWORK_SETTINGS_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CtnrError('RUNTIME_FAILED', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const parsed = networkSchemas().settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new CtnrError('RUNTIME_FAILED', `${file}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return parsed.data;
}
