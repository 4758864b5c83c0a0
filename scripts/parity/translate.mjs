import path from 'node:path';

// Compose service → the engine's own `create` flags, for the parity corpus (test/fixtures/parity/compose.yaml).
// Only the keys the corpus uses are translated; any other key is an error, so a new corpus case cannot be
// generated with a key silently left out. What docker compose sends through the API is given with the CLI flag
// that sends the same thing (short-syntax binds as -v, long syntax and named volumes as --mount, file secrets as
// read-only binds at /run/secrets/NAME); podman gets the equivalent podman flag where the two differ.

/** @typedef {'docker' | 'podman'} Engine */

const list = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** `KEY=VALUE` pairs from compose's map or list form. */
function pairs(v) {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.map(String);
  return Object.entries(v).map(([k, val]) => `${k}=${val ?? ''}`);
}

/**
 * @param {string} name service name
 * @param {Record<string, any>} svc the service as written (merge keys resolved)
 * @param {{ engine: Engine, project: string, image: string, top: Record<string, any>, dir: string }} ctx
 * @returns {{ flags: string[], args: string[] }}
 */
export function translate(name, svc, ctx) {
  const { engine, project } = ctx;
  const flags = [];
  const seen = new Set(['image', 'command']);
  const take = (key) => (seen.add(key), svc[key]);

  // process
  let args = list(take('command')).map(String);
  const entrypoint = take('entrypoint');
  if (entrypoint !== undefined) {
    const ep = list(entrypoint).map(String);
    // docker's --entrypoint takes one word; the rest of compose's list goes before the command (same args).
    flags.push('--entrypoint', ep[0]);
    args = [...ep.slice(1), ...args];
  }
  for (const e of pairs(take('environment'))) flags.push('-e', e);
  if (take('working_dir') !== undefined) flags.push('-w', svc.working_dir);
  if (take('tty')) flags.push('-t');
  if (take('stdin_open')) flags.push('-i');
  if (take('user') !== undefined) flags.push('-u', String(svc.user));
  for (const g of list(take('group_add'))) flags.push('--group-add', String(g));
  for (const c of list(take('cap_add'))) flags.push('--cap-add', c);
  for (const c of list(take('cap_drop'))) flags.push('--cap-drop', c);
  if (take('oom_score_adj') !== undefined) flags.push('--oom-score-adj', String(svc.oom_score_adj));
  if (take('init')) flags.push('--init');
  if (take('stop_signal') !== undefined) flags.push('--stop-signal', svc.stop_signal);
  for (const l of pairs(take('labels'))) flags.push('-l', l);
  if (take('privileged')) flags.push('--privileged');
  for (const [type, v] of Object.entries(take('ulimits') ?? {})) {
    flags.push('--ulimit', typeof v === 'object' ? `${type}=${v.soft}:${v.hard}` : `${type}=${v}`);
  }
  for (const opt of list(take('security_opt'))) {
    if (opt.startsWith('seccomp=') && !['unconfined', 'default'].includes(opt.slice(8))) {
      flags.push('--security-opt', `seccomp=${new URL(opt.slice(8), `file://${ctx.dir}/`).pathname}`);
    } else if (opt === 'systempaths=unconfined' && engine === 'podman') {
      flags.push('--security-opt', 'unmask=ALL'); // podman's spelling of the same
    } else {
      flags.push('--security-opt', opt);
    }
  }

  // mounts
  if (take('read_only')) flags.push('--read-only');
  for (const t of list(take('tmpfs'))) flags.push('--tmpfs', t);
  if (take('shm_size') !== undefined) flags.push('--shm-size', String(svc.shm_size));
  // Host paths relative to the compose file resolve against its directory, as compose resolves them.
  const hostPath = (p) => (p.startsWith('/') ? p : path.resolve(ctx.dir, p));
  for (const v of list(take('volumes'))) {
    if (typeof v === 'string') {
      const [source, target, mode] = v.split(':');
      if (target === undefined) flags.push('-v', source); // anonymous volume
      else if (source.startsWith('/') || source.startsWith('.')) flags.push('-v', [hostPath(source), target, ...(mode ? [mode] : [])].join(':')); // short-syntax bind: compose keeps it a bind (Binds)
      else flags.push('--mount', `type=volume,source=${project}_${source},target=${target}${mode === 'ro' ? ',readonly' : ''}`);
    } else if (v.type === 'bind') {
      flags.push('--mount', `type=bind,source=${hostPath(v.source)},target=${v.target}${v.read_only ? ',readonly' : ''}`);
    } else if (v.type === 'tmpfs') {
      flags.push('--mount', `type=tmpfs,target=${v.target}${v.tmpfs?.size !== undefined ? `,tmpfs-size=${v.tmpfs.size}` : ''}`);
    } else {
      throw new Error(`${name}: volume type ${v.type} is not translated`);
    }
  }
  for (const s of list(take('secrets'))) {
    const secret = typeof s === 'string' ? s : s.source;
    const file = ctx.top.secrets?.[secret]?.file;
    if (!file) throw new Error(`${name}: secret ${secret} has no file`);
    flags.push('--mount', `type=bind,source=${hostPath(file)},target=/run/secrets/${secret},readonly`);
  }

  // resources
  if (take('mem_limit') !== undefined) flags.push('--memory', String(svc.mem_limit));
  if (take('mem_reservation') !== undefined) flags.push('--memory-reservation', String(svc.mem_reservation));
  if (take('memswap_limit') !== undefined) flags.push('--memory-swap', String(svc.memswap_limit));
  if (take('cpus') !== undefined) flags.push('--cpus', String(svc.cpus));
  if (take('cpu_shares') !== undefined) flags.push('--cpu-shares', String(svc.cpu_shares));
  if (take('cpu_quota') !== undefined) flags.push('--cpu-quota', String(svc.cpu_quota));
  if (take('cpu_period') !== undefined) flags.push('--cpu-period', String(svc.cpu_period));
  if (take('cpuset') !== undefined) flags.push('--cpuset-cpus', String(svc.cpuset));
  if (take('pids_limit') !== undefined) flags.push('--pids-limit', String(svc.pids_limit));
  for (const s of pairs(take('sysctls'))) flags.push('--sysctl', s);
  for (const d of list(take('devices'))) flags.push('--device', d);
  for (const r of list(take('device_cgroup_rules'))) flags.push('--device-cgroup-rule', r);

  // namespaces and network
  const mode = take('network_mode');
  flags.push('--network', mode ?? `${project}_default`);
  if (take('ipc') !== undefined) flags.push('--ipc', svc.ipc);
  if (take('pid') !== undefined) flags.push('--pid', svc.pid);
  if (take('uts') !== undefined) flags.push('--uts', svc.uts);
  if (take('cgroup') !== undefined) flags.push('--cgroupns', svc.cgroup);
  if (take('hostname') !== undefined) flags.push('--hostname', svc.hostname);
  if (take('domainname') !== undefined) flags.push('--domainname', svc.domainname);
  for (const d of list(take('dns'))) flags.push('--dns', d);
  for (const d of list(take('dns_search'))) flags.push('--dns-search', d);
  for (const d of list(take('dns_opt'))) flags.push(engine === 'docker' ? '--dns-opt' : '--dns-option', d);
  for (const h of list(take('extra_hosts'))) {
    const [host, ...ip] = h.split(':');
    flags.push('--add-host', `${host}:${ip.join(':')}`);
  }

  take('x-parity');
  const unknown = Object.keys(svc).filter((k) => !seen.has(k) && !k.startsWith('x-'));
  if (unknown.length) throw new Error(`${name}: no translation for ${unknown.join(', ')} (add it to scripts/parity/translate.mjs)`);
  return { flags, args };
}
