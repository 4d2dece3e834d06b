import { readFileSync } from 'node:fs';

/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or BENCH_HUB_NODE_OPTIONS for the hub
 * processes of the fleet scenarios): the functions with the most self time, and the
 * packages / source files they belong to.
 *
 *   npx node dist/bench/profile.js <file.cpuprofile> [top=25]
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg, callersOf] = process.argv.slice(2);
if (!file) throw new Error('usage: profile.js <file.cpuprofile> [top] [function name: its callers]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
for (const [i, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
const totalUs = profile.endTime - profile.startTime;

/** node_modules/<package>, a project file, node: internals, or V8's own (GC, program, idle). */
function owner(url: string, name: string): string {
  if (!url) return `(${name || 'native'})`;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 6) : url;
}

const frames = new Map<string, number>();
const owners = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = owner(url, functionName);
  const key = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`;
  frames.set(key, (frames.get(key) ?? 0) + us);
  owners.set(where, (owners.get(where) ?? 0) + us);
}
const busyUs = [...selfUs.entries()].filter(([id]) => byId.get(id)?.callFrame.functionName !== '(idle)').reduce((s, [, us]) => s + us, 0);
const pct = (us: number) => `${((100 * us) / busyUs).toFixed(1).padStart(5)} %`;
const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
console.log(`${file}: ${(totalUs / 1e6).toFixed(1)} s profiled, ${(busyUs / 1e6).toFixed(1)} s not idle (percentages of that)\n`);
console.log('self time by function:');
for (const [key, us] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)} ${pct(us)}  ${key}`);
console.log('\nself time by package / file:');
for (const [key, us] of [...owners].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)} ${pct(us)}  ${key}`);

{
  // Inclusive time of the project's own functions (apps/, libs/): where the time of the libraries they call goes.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || !/\/dist\/(apps|libs)\//.test(frame.url)) continue;
      const key = `${frame.functionName || '(anonymous)'}  ${owner(frame.url, frame.functionName)}:${frame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  console.log('\ninclusive time of project functions (apps/, libs/):');
  for (const [key, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)} ${pct(us)}  ${key}`);
}

if (callersOf) {
  // Who calls the function (self time of it, attributed to the first three frames above it).
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const chains = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node?.callFrame.functionName !== callersOf) continue;
    const chain: string[] = [];
    for (let up = parent.get(id); up !== undefined && chain.length < 4; up = parent.get(up)) {
      const frame = byId.get(up)?.callFrame;
      if (frame) chain.push(`${frame.functionName || '(anonymous)'} ${owner(frame.url, frame.functionName)}:${frame.lineNumber + 1}`);
    }
    const key = chain.join(' < ');
    chains.set(key, (chains.get(key) ?? 0) + us);
  }
  console.log(`\ncallers of ${callersOf}:`);
  for (const [key, us] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)} ${pct(us)}  ${key}`);
}
