import { readFileSync } from 'node:fs';

/**
 * Summarises a V8 CPU profile (.cpuprofile: `node --cpu-prof`, BENCH_CPU_PROFILE, or
 * BENCH_HUB_PROFILE for the hub processes of the fleet scenarios) or a sampling heap profile
 * (.heapprofile: BENCH_HUB_PROFILE in the delivery scenario, memory still alive): the
 * functions with the most self time (bytes), the packages / source files they belong to, the
 * inclusive weight of the project's own functions, and optionally who calls one function.
 *
 *   npx node dist/bench/profile.js <file> [top=25] [function name]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}
interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

const [file, topArg, callersOf] = process.argv.slice(2);
if (!file) throw new Error('usage: profile.js <file.cpuprofile|file.heapprofile> [top] [function name: its callers]');
const top = Number(topArg ?? 25);
const data = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile | { head: HeapNode };

/** Frames by id, their parents, and each frame's own weight (µs of CPU, or bytes alive). */
const frameOf = new Map<number, CallFrame>();
const parent = new Map<number, number>();
const weight = new Map<number, number>();
let heading: string;
let unit: (w: number) => string;
if ('head' in data) {
  let next = 0;
  const walk = (node: HeapNode, up?: number) => {
    const id = next++;
    frameOf.set(id, node.callFrame);
    if (up !== undefined) parent.set(id, up);
    weight.set(id, node.selfSize);
    for (const child of node.children) walk(child, id);
  };
  walk(data.head);
  const total = [...weight.values()].reduce((a, b) => a + b, 0);
  heading = `${file}: ${(total / 2 ** 20).toFixed(1)} MiB sampled alive (percentages of that)`;
  unit = (w) => `${(w / 1024).toFixed(0).padStart(8)} KiB`;
} else {
  for (const node of data.nodes) {
    frameOf.set(node.id, node.callFrame);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  for (const [i, id] of data.samples.entries()) weight.set(id, (weight.get(id) ?? 0) + (data.timeDeltas[i] ?? 0));
  for (const [id, frame] of frameOf) if (frame.functionName === '(idle)') weight.delete(id);
  const busy = [...weight.values()].reduce((a, b) => a + b, 0);
  heading = `${file}: ${((data.endTime - data.startTime) / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s not idle (percentages of that)`;
  unit = (w) => `${(w / 1000).toFixed(0).padStart(7)} ms`;
}
const total = [...weight.values()].reduce((a, b) => a + b, 0);
const line = (w: number, key: string) => `${unit(w)} ${((100 * w) / total).toFixed(1).padStart(5)} %  ${key}`;

/** node_modules/<package>, a project file, node: internals, or V8's own (GC, program). */
function owner(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return `(${functionName || 'native'})`;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 6) : url;
}
const label = (frame: CallFrame) => `${frame.functionName || '(anonymous)'}  ${owner(frame)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
const print = (title: string, entries: Map<string, number>) => {
  console.log(`\n${title}:`);
  for (const [key, w] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(line(w, key));
};

const frames = new Map<string, number>();
const owners = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, w] of weight) {
  const frame = frameOf.get(id);
  if (!frame || w === 0) continue;
  frames.set(label(frame), (frames.get(label(frame)) ?? 0) + w);
  owners.set(owner(frame), (owners.get(owner(frame)) ?? 0) + w);
  // Inclusive weight of the project's own functions (apps/, libs/): where the libraries' time they cause goes.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const up = frameOf.get(at);
    if (!up || !/\/dist\/(apps|libs)\//.test(up.url) || seen.has(label(up))) continue;
    seen.add(label(up));
    inclusive.set(label(up), (inclusive.get(label(up)) ?? 0) + w);
  }
}
console.log(heading);
print('self, by function', frames);
print('self, by package / file', owners);
print('inclusive, project functions (apps/, libs/; async continuations are not attributed)', inclusive);

if (callersOf) {
  // Who calls the function: its self weight by the first four frames above it.
  const chains = new Map<string, number>();
  for (const [id, w] of weight) {
    if (frameOf.get(id)?.functionName !== callersOf) continue;
    const chain: string[] = [];
    for (let up = parent.get(id); up !== undefined && chain.length < Number(process.env.PROFILE_DEPTH ?? 4); up = parent.get(up)) {
      const frame = frameOf.get(up);
      if (frame) chain.push(label(frame).replace('  ', ' '));
    }
    chains.set(chain.join(' < '), (chains.get(chain.join(' < ')) ?? 0) + w);
  }
  print(`callers of ${callersOf}`, chains);
}
