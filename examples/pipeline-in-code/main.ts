// Programmatic composition: build a pipeline in code, run three services through it, print the trace.
// Outside this repository, import from 'ctnr' instead of the relative source paths.
//   node node_modules/jiti/lib/jiti-cli.mjs examples/pipeline-in-code/main.ts
import { fileURLToPath } from 'node:url';
import { createEngine, definePlugin, ops, parseCompose, selectService } from '../../src/index.js';
import { podmanPreset, restrictedPreset } from '../../presets/index.js';

const COMPOSE = `
services:
  web:
    image: nginx
    command: ["nginx", "-g", "daemon off;"]
    user: "101:101"
    cap_add: [NET_BIND_SERVICE]
  worker:
    image: busybox
    command: ["sh", "-c", "while true; do sleep 60; done"]
    environment:
      QUEUE: jobs
  db:
    image: postgres
    command: ["postgres"]
    volumes:
      - type: volume
        target: /var/lib/postgresql/data
`;

/** Our own plugin: an annotation naming the build that generated the spec. */
const buildAnnotation = (build: string) =>
  definePlugin({
    name: 'example:build',
    stage: 'annotations',
    apply: ({ spec }) => [...(spec.annotations ? [] : [ops.add('/annotations', {})]), ops.add('/annotations/org.example.build', build)],
  });

export async function runExample(write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<void> {
  // podman's defaults, restricted policy recorded (audit) and fixed where safe, plus one plugin of ours.
  const engine = createEngine({
    name: 'pipeline-in-code',
    presets: [podmanPreset(), restrictedPreset({ mode: 'audit', fix: true })],
    plugins: [buildAnnotation('2024.06.1')],
  });
  write(`stages: ${engine.plan.stages.map((s) => `${s.name}(${s.plugins.length + s.validators.length})`).join(' → ')}`);
  const project = parseCompose(COMPOSE, '/srv/shop/compose.yaml', 'compose.yaml');
  const env = { rootless: false, uid: 0, gid: 0, arch: 'amd64', dataDir: '/var/lib/ctnr' };
  for (const name of ['web', 'worker', 'db']) {
    const { input } = selectService(project, name);
    const result = await engine.run(input, env);
    write('');
    write(`== ${name}: ${result.trace.length} ops, ${result.violations.length} violation(s)`);
    for (const t of result.trace) {
      if (t.pointer.startsWith('/linux/seccomp/')) continue; // the seccomp profile is long; its root entry is enough
      write(`  ${t.stage.padEnd(11)} ${t.plugin.padEnd(34)} ${t.op.op.padEnd(7)} ${t.pointer}${t.overrode ? `  (over ${t.overrode})` : ''}`);
    }
    for (const v of result.violations) write(`  ! ${v.control}: ${v.message}${v.plugin ? ` (set by ${v.plugin})` : ''}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await runExample();
