/**
 * Reads V8 CPU profiles (`.cpuprofile`, from `node --cpu-prof` or `node:inspector`) and prints where
 * the time went: self time by layer of a point read, by owner (our folders, each npm package, Node's
 * internals, GC/VM), and the functions with the most self time and the most inclusive time. Used by
 * `bench/profile-point-read.ts`; also a command:
 *
 *   npx tsx bench/cpuprofile-summary.ts <file.cpuprofile>... [--top 30] [--match <url part>]
 *
 * `--match` limits the inclusive table to functions whose script URL contains the text (e.g.
 * `shared/` for ours).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  /** Sampled CPU time in ms (idle excluded). */
  readonly busyMs: number;
  readonly byOwner: readonly [string, number][];
  readonly byLayer: readonly [string, number][];
  readonly selfByFunction: readonly [string, number][];
  readonly inclusiveByFunction: readonly [string, number][];
}

/** Who owns a script: an npm package, a folder of ours (two levels), Node itself, or the VM. */
export function ownerOf(url: string): string {
  if (!url) return '(vm: gc, program, native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node (internals)';
  const ours = /\/(shared|functions|local|bench|dist)\/(.*)$/.exec(url);
  if (ours) return [ours[1], ...ours[2]!.split('/').slice(0, 1)].join('/').replace(/\.[jt]s$/, '');
  return url;
}

/** The layers a point read crosses, for the before/after tables of docs/performance.md. */
export function layerOf(owner: string): string {
  if (/^(shared|functions|dist)\//.test(owner)) return 'ours: pipeline, auth, use case, repository, wiring';
  if (owner === 'local/host' || owner === 'local/worker' || owner === 'local/functions-core') return 'local host and worker';
  if (owner.startsWith('@azure/functions')) return '@azure/functions (the programming model)';
  if (['@azure/cosmos', '@typespec/ts-http-runtime', '@azure/core-rest-pipeline', '@azure/core-util'].includes(owner))
    return 'Cosmos SDK';
  if (owner.startsWith('local/cosmos') || owner.includes('cosmosdb')) return 'embedded Cosmos server';
  if (owner === 'zod') return 'zod';
  if (owner.startsWith('bench/')) return 'bench (client, loop)';
  if (owner === 'node (internals)' || owner.startsWith('(vm')) return 'Node (HTTP, streams, crypto), GC, VM';
  return 'other (local bus, triggers, packages)';
}

const nameOf = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;

export function summarize(profiles: readonly CpuProfile[], opts: { match?: string } = {}): ProfileSummary {
  const owner = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const p of profiles) {
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const sampled = new Map<number, number>();
    p.samples.forEach((id, i) => sampled.set(id, (sampled.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
    for (const [id, us] of sampled) {
      const node = nodes.get(id)!;
      if (node.callFrame.functionName === '(idle)') continue;
      busy += us;
      add(owner, ownerOf(node.callFrame.url), us);
      add(self, nameOf(node), us);
      // Inclusive: every distinct function on the stack gets the sample once (recursion counted once).
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = nodes.get(at)!;
        if (opts.match && !frame.callFrame.url.includes(opts.match)) continue;
        const key = nameOf(frame);
        if (seen.has(key)) continue;
        add(inclusive, key, us);
        seen.add(key);
      }
    }
  }
  const sorted = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / 1000] as [string, number]);
  const layer = new Map<string, number>();
  for (const [k, us] of owner) add(layer, layerOf(k), us);
  return {
    busyMs: busy / 1000,
    byOwner: sorted(owner),
    byLayer: sorted(layer),
    selfByFunction: sorted(self),
    inclusiveByFunction: sorted(inclusive),
  };
}

export function printSummary(s: ProfileSummary, top = 25, write: (line: string) => void = console.log): void {
  const row = ([k, ms]: [string, number]) =>
    write(`${ms.toFixed(1).padStart(9)} ms ${((100 * ms) / s.busyMs).toFixed(1).padStart(5)} %  ${k}`);
  write(`busy CPU ${s.busyMs.toFixed(1)} ms (idle excluded)`);
  write('-- self time by layer');
  s.byLayer.forEach(row);
  write('-- self time by owner');
  s.byOwner.slice(0, top).forEach(row);
  write('-- self time by function');
  s.selfByFunction.slice(0, top).forEach(row);
  write('-- inclusive time by function');
  s.inclusiveByFunction.slice(0, top).forEach(row);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args.splice(i, 2)[1];
  };
  const top = Number(flag('--top') ?? 25);
  const match = flag('--match');
  const profiles = args.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile);
  printSummary(summarize(profiles, match ? { match } : {}), top);
}
