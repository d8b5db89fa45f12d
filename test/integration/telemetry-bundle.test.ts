import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eagerPackages } from '../../bench/cold-imports';
import { BUNDLE_ENTRY, buildBundle } from '../../scripts/build';
import { loadEntryAsWorker } from '../support/worker/load-entry';

/**
 * The deployed bundle and OpenTelemetry, loaded the way the Azure worker loads it (plain `node`, no
 * tsx or vitest interop): without a telemetry setting nothing of OpenTelemetry is imported at
 * start-up and no hook is registered; with one, the SDK starts inside the entry's import and the
 * Functions instrumentation has registered its invocation hook before the worker could invoke
 * anything (docs/decisions.md, "OpenTelemetry instead of hand-made tracing").
 */
const outdir = join('node_modules', '.cache', `telemetry-bundle-test-${process.pid}`);
let dir: string;

beforeAll(async () => {
  await buildBundle({ outdir, quiet: true });
  dir = await mkdtemp(join(tmpdir(), 'algesta-otel-bundle-'));
}, 120_000);
afterAll(async () => {
  rmSync(outdir, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the bundle and telemetry', () => {
  it('imports no OpenTelemetry package eagerly', async () => {
    const eager = await eagerPackages(join(outdir, BUNDLE_ENTRY));
    expect(eager).toContain('@azure/functions');
    expect(
      eager.filter((p) => p.startsWith('@opentelemetry/') || p.startsWith('@azure/monitor') || p.includes('opentelemetry')),
    ).toEqual([]);
  });

  it('telemetry off: no invocation hook; on: the Functions instrumentation hooks every invocation', async () => {
    const off = await loadEntryAsWorker(join(outdir, BUNDLE_ENTRY));
    expect(off.hooks).not.toContain('preInvocation');
    const on = await loadEntryAsWorker(join(outdir, BUNDLE_ENTRY), {
      OTEL_TRACES_EXPORTER: 'file',
      OTEL_EXPORTER_FILE: join(dir, 'spans.jsonl'),
    });
    expect(on.hooks).toContain('preInvocation');
    expect(on.functions.map((f) => f.name)).toEqual(off.functions.map((f) => f.name));
  }, 60_000);
});
