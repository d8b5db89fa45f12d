/**
 * What OpenTelemetry costs the cold start (docs/performance.md, "Telemetry"):
 *
 *   npm run build && npx tsx bench/telemetry-cold.ts [runs]
 *
 * Times, each in a fresh `node` process, `runs` times (default 15): importing the deployed entry
 * with telemetry off (no setting: nothing of OpenTelemetry is imported), with the local SDK on
 * (`OTEL_TRACES_EXPORTER=file`), the import of `@azure/monitor-opentelemetry` alone (what the entry
 * adds in Azure before `useAzureMonitor` runs; the distro itself is not started here, because its
 * Azure resource detectors and statsbeat would dial Azure endpoints from this machine), and the
 * eager Azure SDKs (the cold-start baseline of `npm run bench`); with `BASE_ENTRY=<path>`, another
 * build's entry too (the one before telemetry, to see what telemetry-off costs). Prints min / median / max in ms
 * and each median's ratio to the baseline's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AZURE_SDKS } from './cold-imports';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function timeImport(specifiers: readonly string[], env: Record<string, string> = {}): Promise<number> {
  const code =
    `const t = performance.now(); for (const s of ${JSON.stringify(specifiers)}) await import(s);` +
    `console.log(performance.now() - t); process.exit(0);`;
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && !k.startsWith('APPLICATIONINSIGHTS_')),
  );
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...clean, NODE_OPTIONS: '', ...env },
  });
  return Number(stdout.trim().split('\n').pop());
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 15);
  const entry = pathToFileURL(resolve('dist/functions/index.js')).href;
  const dir = await mkdtemp(join(tmpdir(), 'algesta-bench-otel-'));
  const on = { OTEL_TRACES_EXPORTER: 'file', OTEL_EXPORTER_FILE: join(dir, 'spans.jsonl') };
  const cases: [string, () => Promise<number>][] = [
    ['entry, telemetry off', () => timeImport([entry])],
    // BASE_ENTRY: another build's entry (e.g. before telemetry) measured in the same runs.
    ...(process.env.BASE_ENTRY
      ? [
          ['base entry (BASE_ENTRY)', () => timeImport([pathToFileURL(resolve(process.env.BASE_ENTRY!)).href])] as [
            string,
            () => Promise<number>,
          ],
        ]
      : []),
    ['entry, local SDK on (file exporter)', () => timeImport([entry], on)],
    ['@azure/monitor-opentelemetry import alone', () => timeImport(['@azure/monitor-opentelemetry'])],
    ['eager Azure SDKs (baseline)', () => timeImport(AZURE_SDKS)],
  ];
  for (const [, f] of cases) await f(); // warm the file cache
  const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let i = 0; i < runs; i++) for (const [name, f] of cases) times.get(name)!.push(await f());
  await rm(dir, { recursive: true, force: true });
  const base = median(times.get('eager Azure SDKs (baseline)')!);
  console.log(`| import | min | median | max | median / baseline |`);
  console.log(`| --- | --- | --- | --- | --- |`);
  for (const [name, xs] of times) {
    const s = [...xs].sort((a, b) => a - b);
    console.log(`| ${name} | ${r(s[0]!)} | ${r(median(xs))} | ${r(s[s.length - 1]!)} | ${(median(xs) / base).toFixed(3)} |`);
  }
}

await main();
