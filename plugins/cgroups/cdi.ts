import path from 'node:path';
import { definePlugin } from '../../src/engine/define.js';
import { ops, pointer } from '../../src/engine/patch.js';
import type { Operation, PluginContext } from '../../src/engine/types.js';
import type { DeviceRequest } from '../../src/engine/service.js';
import { cdiAccess, cdiDevice } from '../../src/linux/cdi/device-node.js';
import { deviceNameProblem, qualifiedName } from '../../src/linux/cdi/names.js';
import { formatCdiProblem, readCdiSpecDirs, type CdiDevice, type CdiRegistry } from '../../src/linux/cdi/read.js';
import { deviceNamesOf, editsFor, knownKinds, problemsFor, resolveCdiDevice, type SourcedEdits } from '../../src/linux/cdi/resolve.js';
import type { DeviceRule, Mount } from '../../src/spec/types.js';
import { allowsAllDevices } from './device-rules.js';

type KeyPath = Array<string | number>;

/** One device name to resolve, and the compose key that asked for it (for the error). */
interface Wanted {
  qualified: string;
  at: KeyPath;
}

/**
 * CDI devices (docs/cdi.md): the CDI names in `devices:`, the `gpus:` and `deploy.resources.reservations.devices`
 * entries with `driver: cdi` (their `device_ids`), and GPU requests (`gpus:`, reservations whose `capabilities` hold
 * `gpu`) taken from the CDI spec whose class is `gpu`, resolved against the CDI spec files of `env.cdiSpecDirs`
 * (the CLI's default: `/etc/cdi`, `/var/run/cdi`; none when the Env names none). Their `containerEdits` are
 * applied as CDI applies them, in CDI's order (each spec file's common edits the first time one of its devices
 * is met, then the device's own):
 *
 * - `env`: replaces the entry of the same name, else appended;
 * - `deviceNodes`: `linux.devices` (replacing the node at the same path; type, major/minor and mode from the
 *   host node when not given) and an allow rule in the device cgroup (`b`/`c` nodes; none rootless, none when
 *   every device is allowed already). Rootless, a node from another host path is bind-mounted instead (runc
 *   binds rootless device nodes from their container path);
 * - `mounts`: replacing the mount at the same destination, else before the first mount below it (so a parent
 *   is mounted first), else appended; no type is a bind mount (`rbind` unless a bind option is given);
 * - `hooks`: appended to `hooks.<hookName>`; `additionalGids`: added to `process.user` (0 and repeats skipped);
 *   `intelRdt`: `linux.intelRdt` (the last one wins); `netDevices`: `linux.netDevices`.
 *
 * Every op names its origin (`source`: the spec file and the key in it), which `ctnr explain` prints.
 */
export function cdiPlugin() {
  return definePlugin({
    name: 'ctnr:cdi',
    stage: 'cgroups',
    after: ['ctnr:devices', 'ctnr:device-cgroup-rules'],
    apply(ctx) {
      const { service } = ctx;
      const named: Wanted[] = [];
      (service.devices ?? []).forEach((d, i) => {
        if ('cdi' in d) named.push({ qualified: d.cdi, at: ['devices', i] });
      });
      const gpu: Array<{ request: DeviceRequest; at: KeyPath }> = [];
      const reservations = service.deploy?.resources?.reservations?.devices ?? [];
      const cdiNames = (request: DeviceRequest, at: KeyPath) => (request.device_ids ?? []).forEach((id, j) => named.push({ qualified: id, at: [...at, 'device_ids', j] }));
      if (service.gpus === 'all') gpu.push({ request: { count: 'all' }, at: ['gpus'] });
      else {
        (service.gpus ?? []).forEach((request, i) => {
          if (request.driver === 'cdi') cdiNames(request, ['gpus', i]);
          else gpu.push({ request, at: ['gpus', i] });
        });
      }
      reservations.forEach((request, i) => {
        const at = ['deploy', 'resources', 'reservations', 'devices', i];
        if (request.driver === 'cdi') cdiNames(request, at);
        else if (request.capabilities?.includes('gpu')) gpu.push({ request, at });
        else {
          ctx.error(
            `ctnr honours a device request through CDI only: driver: cdi with device_ids (CDI device names), or capabilities: [gpu] for the GPUs of the CDI spec whose class is gpu${request.capabilities ? ` (this one asks for ${request.capabilities.join(', ') || 'no capabilities'})` : ''}`,
            at,
          );
        }
      });
      if (named.length === 0 && gpu.length === 0) return [];

      const reg = readCdiSpecDirs(ctx.env.cdiSpecDirs ?? []);
      const wanted = [...named];
      for (const g of gpu) wanted.push(...gpuNames(ctx, reg, g.request, g.at));
      const devices: CdiDevice[] = [];
      for (const w of wanted) {
        const r = resolveCdiDevice(reg, w.qualified);
        if ('problem' in r) ctx.error(r.problem, w.at, 'CDI_DEVICE_UNKNOWN');
        else devices.push(r.device);
      }
      if (devices.length !== wanted.length) return [];
      // Spec files that could not be read may have meant to define these kinds: say so, once each.
      const kinds = new Set(devices.map((d) => d.kind));
      const warned = new Set<string>();
      for (const kind of kinds) {
        for (const p of problemsFor(reg, kind)) {
          if (warned.has(p)) continue;
          warned.add(p);
          ctx.warn(`CDI spec ${p} (its devices are left out)`, wanted[0]!.at, 'CDI_SPEC_INVALID');
        }
      }
      const asked = new Map<string, KeyPath>();
      devices.forEach((d, i) => asked.has(d.qualified) || asked.set(d.qualified, wanted[i]!.at));
      return applyEdits(ctx, editsFor(devices), asked);
    },
  });
}

/** The device names a GPU request stands for, from the one CDI kind of class `gpu` (the driver's, if named). */
function gpuNames(ctx: PluginContext, reg: CdiRegistry, request: DeviceRequest, at: KeyPath): Wanted[] {
  const extra = (request.capabilities ?? []).filter((c) => c !== 'gpu');
  if (extra.length > 0) ctx.warn(`capabilities ${extra.join(', ')} are not used: the CDI spec decides what its GPU devices bring`, [...at, 'capabilities'], 'CDI_IGNORED');
  if (request.options !== undefined) ctx.warn('options are not used: CDI devices take no driver options', [...at, 'options'], 'CDI_IGNORED');
  const gpuKinds = knownKinds(reg).filter((k) => k.slice(k.indexOf('/') + 1) === 'gpu');
  const driver = request.driver;
  const kinds = driver === undefined ? gpuKinds : gpuKinds.filter((k) => {
    const vendor = k.slice(0, k.indexOf('/'));
    return vendor === driver || vendor.startsWith(`${driver}.`);
  });
  if (kinds.length === 0) {
    const others = knownKinds(reg);
    const broken = problemsFor(reg, undefined).concat(reg.problems.filter((p) => p.kind?.endsWith('/gpu')).map(formatCdiProblem));
    ctx.error(
      `no CDI spec provides ${driver === undefined ? 'GPUs' : `${driver} GPUs`} (a kind VENDOR/gpu${driver === undefined ? '' : ` with vendor ${driver}`}) in ${reg.dirs.join(', ') || 'no CDI spec directories'}` +
        ` (${others.length ? `known kinds: ${others.join(', ')}` : 'no valid spec files there'})${broken.length ? `; spec files that could not be used: ${[...new Set(broken)].join('; ')}` : ''}`,
      at,
      'CDI_DEVICE_UNKNOWN',
    );
    return [];
  }
  if (kinds.length > 1) {
    ctx.error(`several CDI kinds provide GPUs (${kinds.join(', ')}): pick one with driver: VENDOR in a gpus: entry, or name the devices in devices:`, at, 'CDI_DEVICE_UNKNOWN');
    return [];
  }
  const kind = kinds[0]!;
  if (request.device_ids !== undefined) {
    const out: Wanted[] = [];
    request.device_ids.forEach((id, j) => {
      const problem = deviceNameProblem(id);
      if (problem) ctx.error(`"${id}" is not a device of ${kind}: ${problem}`, [...at, 'device_ids', j]);
      else out.push({ qualified: qualifiedName(kind, id), at: [...at, 'device_ids', j] });
    });
    return out;
  }
  const names = deviceNamesOf(reg, kind);
  if (request.count === undefined || request.count === 'all') {
    // The vendor's own "all" device when it has one (nvidia's generator writes it), else every device.
    return (names.includes('all') ? ['all'] : names).map((n) => ({ qualified: qualifiedName(kind, n), at }));
  }
  const single = names.filter((n) => n !== 'all');
  if (single.length < request.count) {
    ctx.error(`asks for ${request.count} GPUs; ${kind} has ${single.length}${single.length ? ` (${single.join(', ')})` : ''}`, [...at, 'count'], 'CDI_DEVICE_UNKNOWN');
    return [];
  }
  return single.slice(0, request.count).map((n) => ({ qualified: qualifiedName(kind, n), at }));
}

const clean = (p: string) => {
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
};

/**
 * The ops for a list of edits. Ops apply one after the other, so each is written against the spec as the ops
 * before it leave it: the few lists they touch are followed here.
 */
function applyEdits(ctx: PluginContext, list: readonly SourcedEdits[], asked: ReadonlyMap<string, KeyPath>): Operation[] {
  const { spec, env } = ctx;
  const out: Operation[] = [];
  let source = '';
  const emit = (o: Operation) => out.push(Object.assign(o, { source }));

  let linux = spec.linux !== undefined;
  const ensureLinux = () => {
    if (!linux) emit(ops.add('/linux', {}));
    linux = true;
  };
  let envList = spec.process?.env ? [...spec.process.env] : undefined;
  let devicePaths = spec.linux?.devices ? spec.linux.devices.map((d) => d.path) : undefined;
  const rules = !env.rootless && !allowsAllDevices(spec.linux?.resources?.devices);
  let resources = spec.linux?.resources !== undefined;
  let ruleList = spec.linux?.resources?.devices !== undefined;
  let mounts = spec.mounts ? spec.mounts.map((m) => clean(m.destination)) : undefined;
  let hooks = spec.hooks !== undefined;
  const hookLists = new Set(Object.keys(spec.hooks ?? {}).filter((k) => (spec.hooks as Record<string, unknown>)[k] !== undefined));
  let gids = spec.process?.user?.additionalGids ? [...spec.process.user.additionalGids] : undefined;
  let netDevices = spec.linux?.netDevices !== undefined;

  const addMount = (m: Mount) => {
    if (mounts === undefined) {
      emit(ops.add('/mounts', []));
      mounts = [];
    }
    const dest = clean(m.destination);
    const same = mounts.indexOf(dest);
    if (same >= 0) return emit(ops.replace(`/mounts/${same}`, m));
    const below = mounts.findIndex((d) => d.startsWith(dest === '/' ? '/' : `${dest}/`));
    if (below >= 0) {
      emit(ops.add(`/mounts/${below}`, m));
      mounts.splice(below, 0, dest);
    } else {
      emit(ops.add('/mounts/-', m));
      mounts.push(dest);
    }
  };

  for (const item of list) {
    const e = item.edits;
    const at = `${item.spec.file} ${item.keyPath}`;
    source = item.keyPath === 'containerEdits' ? `${at} (common edits of ${item.spec.spec.kind})` : `${at} (${item.device.qualified})`;
    const fail = (message: string) => ctx.error(`${item.device.qualified}: ${message} (${at})`, asked.get(item.device.qualified), 'CDI_EDIT_FAILED');

    for (const entry of e.env ?? []) {
      const name = entry.slice(0, entry.indexOf('='));
      if (envList === undefined) {
        emit(ops.add('/process/env', []));
        envList = [];
      }
      const i = envList.findIndex((x) => x === name || x.startsWith(`${name}=`));
      if (i >= 0) {
        emit(ops.replace(`/process/env/${i}`, entry));
        envList[i] = entry;
      } else {
        emit(ops.add('/process/env/-', entry));
        envList.push(entry);
      }
    }

    for (const node of e.deviceNodes ?? []) {
      const got = cdiDevice(node, spec.process?.user);
      if ('problem' in got) {
        fail(got.problem);
        continue;
      }
      const { device, hostPath } = got;
      if (env.rootless && hostPath !== device.path) {
        // runc bind-mounts a rootless container's device nodes from their container path on the host.
        addMount({ destination: device.path, type: 'bind', source: hostPath, options: ['bind'] });
        continue;
      }
      ensureLinux();
      if (devicePaths === undefined) {
        emit(ops.add('/linux/devices', []));
        devicePaths = [];
      }
      const i = devicePaths.indexOf(device.path);
      if (i >= 0) emit(ops.replace(`/linux/devices/${i}`, device));
      else {
        emit(ops.add('/linux/devices/-', device));
        devicePaths.push(device.path);
      }
      if (rules && (device.type === 'b' || device.type === 'c')) {
        if (!resources) emit(ops.add('/linux/resources', {}));
        if (!ruleList) emit(ops.add('/linux/resources/devices', []));
        resources = ruleList = true;
        const rule: DeviceRule = { allow: true, type: device.type, major: device.major!, minor: device.minor!, access: cdiAccess(node.permissions) };
        emit(ops.add('/linux/resources/devices/-', rule));
      }
    }

    for (const m of e.mounts ?? []) {
      const type = m.type || 'bind';
      let options = m.options ? [...m.options] : undefined;
      if (type === 'bind' && !options?.some((o) => o === 'bind' || o === 'rbind')) options = [...(options ?? []), 'rbind'];
      if (type === 'bind' && !m.hostPath.startsWith('/')) {
        fail(`mount ${m.containerPath}: a bind mount's hostPath must be absolute, got "${m.hostPath}"`);
        continue;
      }
      addMount({ destination: m.containerPath, type, source: m.hostPath, ...(options ? { options } : {}) });
    }

    for (const h of e.hooks ?? []) {
      if (!hooks) emit(ops.add('/hooks', {}));
      hooks = true;
      if (!hookLists.has(h.hookName)) emit(ops.add(`/hooks/${h.hookName}`, []));
      hookLists.add(h.hookName);
      emit(ops.add(`/hooks/${h.hookName}/-`, { path: h.path, ...(h.args ? { args: [...h.args] } : {}), ...(h.env ? { env: [...h.env] } : {}), ...(h.timeout !== undefined ? { timeout: h.timeout } : {}) }));
    }

    for (const gid of e.additionalGids ?? []) {
      if (gid === 0 || gids?.includes(gid)) continue;
      if (spec.process?.user === undefined) {
        fail('additionalGids need a process user');
        break;
      }
      if (gids === undefined) {
        emit(ops.add('/process/user/additionalGids', []));
        gids = [];
      }
      emit(ops.add('/process/user/additionalGids/-', gid));
      gids.push(gid);
    }

    if (e.intelRdt) {
      ensureLinux();
      emit(ops.add('/linux/intelRdt', { ...e.intelRdt, ...(e.intelRdt.schemata ? { schemata: [...e.intelRdt.schemata] } : {}) }));
    }

    for (const d of e.netDevices ?? []) {
      ensureLinux();
      if (!netDevices) emit(ops.add('/linux/netDevices', {}));
      netDevices = true;
      emit(ops.add(pointer('linux', 'netDevices', d.hostInterfaceName), { name: d.name }));
    }
  }
  return out;
}
