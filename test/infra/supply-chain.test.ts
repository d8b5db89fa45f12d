/**
 * The release's dependency gate (infra/scripts/audit-gate.ts) against `npm audit --json` reports
 * (test/infra/fixtures/npm-audit, see its README), and the CLI run as the pipeline runs it: exit
 * code and the `##vso[task.logissue type=error]` lines that name what failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { advisoriesOf, type Exception, exceptionsOf, gate } from '../../infra/scripts/audit-gate';
import { REPO } from './support/bicep';

const FIXTURES = join(REPO, 'test/infra/fixtures/npm-audit');
const report = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
const NOW = new Date('2026-12-07T10:00:00Z');
const BRACES = 'GHSA-GRV7-FG5C-XMJG';
const WS = 'GHSA-3H5V-Q93C-6H6Q';
const SEMVER = 'GHSA-C2QF-RXJJ-QQGW';

const live = (id: string): Exception => ({ id, reason: 'not reachable from our code', expires: '2026-12-31' });

describe('npm audit --json as the gate reads it', () => {
  it('one advisory per GHSA id, from the via objects; a via that names a package adds no advisory of its own', () => {
    const advisories = advisoriesOf(report('three-advisories.json'));
    expect(advisories.map((a) => [a.id, a.severity])).toEqual([
      [WS, 'high'],
      [SEMVER, 'moderate'],
      [BRACES, 'high'],
    ]);
    expect(advisories.find((a) => a.id === BRACES)).toMatchObject({ source: '1098094', packages: ['braces'] });
    expect(advisoriesOf(report('clean.json'))).toEqual([]);
  });

  it('an audit that failed is not a clean audit', () => {
    expect(() => advisoriesOf(report('endpoint-error.json'))).toThrow(/npm audit failed: 405 Method Not Allowed/);
    expect(() => advisoriesOf({ auditReportVersion: 2 })).toThrow(/no "vulnerabilities"/);
  });

  it('reads the exceptions file and refuses an exception without a reason or a date', () => {
    expect(exceptionsOf({ exceptions: [live(BRACES.toLowerCase())] })).toEqual({ exceptions: [live(BRACES)], problems: [] });
    const { exceptions, problems } = exceptionsOf({
      exceptions: [
        { id: WS, expires: '2026-12-31' },
        { id: SEMVER, reason: 'x', expires: 'next month' },
      ],
    });
    expect(exceptions).toEqual([]);
    expect(problems).toEqual([
      `.audit-exceptions.json exceptions[0] ${WS}: no "reason" (why the advisory does not reach us, or what mitigates it)`,
      `.audit-exceptions.json exceptions[1] ${SEMVER}: "expires" must be a date YYYY-MM-DD, got 'next month'`,
    ]);
    expect(exceptionsOf({}).problems).toEqual(['.audit-exceptions.json: "exceptions" must be an array']);
  });

  it("the repository's exceptions file is valid and has no expired exception", () => {
    const { exceptions, problems } = exceptionsOf(JSON.parse(readFileSync(join(REPO, '.audit-exceptions.json'), 'utf8')));
    expect(problems).toEqual([]);
    expect(gate([], exceptions).errors).toEqual([]);
  });
});

describe('the gate', () => {
  const advisories = advisoriesOf(report('three-advisories.json'));

  it('passes when every high advisory has a live exception; the moderate one is a warning', () => {
    const result = gate(advisories, [live(BRACES), live(WS)], { now: NOW });
    expect(result.errors).toEqual([]);
    expect(result.accepted).toHaveLength(2);
    expect(result.warnings).toEqual([expect.stringMatching(new RegExp(`^below the high threshold: ${SEMVER} \\(moderate\\)`))]);
  });

  it('fails on a high advisory without an exception, naming it and the package', () => {
    const result = gate(advisories, [live(BRACES)], { now: NOW });
    expect(result.errors).toEqual([
      `no exception for ${WS} (high) in ws: ws affected by a DoS when handling a request with many HTTP headers https://github.com/advisories/GHSA-3h5v-q93c-6h6q`,
    ]);
  });

  it('fails on an expired exception (one error, saying so); it holds through its last day, UTC', () => {
    const until = (expires: string): Exception => ({ ...live(BRACES), expires });
    expect(gate(advisories, [until('2026-12-06'), live(WS)], { now: NOW }).errors).toEqual([
      `exception for ${BRACES} expired on 2026-12-06 (not reachable from our code): fix the dependency, or renew the exception with a new date and reason`,
    ]);
    expect(gate(advisories, [until('2026-12-07'), live(WS)], { now: new Date('2026-12-07T23:59:59Z') }).errors).toEqual([]);
    expect(gate(advisories, [until('2026-12-07'), live(WS)], { now: new Date('2026-12-08T00:00:00Z') }).errors).toEqual([
      expect.stringMatching(new RegExp(`^exception for ${BRACES} expired on 2026-12-07`)),
    ]);
  });

  it('an expired exception fails even when the advisory is gone: the file is cleaned up', () => {
    expect(gate([], [{ ...live(WS), expires: '2026-01-31' }], { now: NOW }).errors).toHaveLength(1);
  });

  it('below the threshold nothing fails; the threshold is a parameter', () => {
    const moderate = advisories.filter((a) => a.id === SEMVER);
    expect(gate(moderate, [], { now: NOW }).errors).toEqual([]);
    expect(gate(moderate, [], { now: NOW, level: 'moderate' }).errors).toHaveLength(1);
  });

  it('an exception matches by the npm source number too, and a needless one is a warning', () => {
    const bySource = { ...live('1098094') };
    const result = gate(advisories, [bySource, live(WS), live('GHSA-XXXX-XXXX-XXXX')], { now: NOW });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toContain(
      'exception for GHSA-XXXX-XXXX-XXXX is no longer needed (npm audit does not report it): remove it',
    );
  });
});

describe('audit-gate.ts as the pipeline runs it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'algesta-audit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const NODE_ARGS = process.allowedNodeEnvironmentFlags.has('--experimental-strip-types')
    ? ['--experimental-strip-types', '--no-warnings']
    : ['--import', 'tsx'];

  const run = (auditFixture: string, exceptions: Exception[]) => {
    const file = join(dir, `exceptions-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ exceptions }));
    const r = spawnSync(
      process.execPath,
      [
        ...NODE_ARGS,
        join(REPO, 'infra/scripts/audit-gate.ts'),
        '--audit',
        join(FIXTURES, auditFixture),
        '--exceptions',
        file,
        '--now',
        NOW.toISOString(),
      ],
      { cwd: REPO, encoding: 'utf8' },
    );
    return { status: r.status, out: r.stdout + r.stderr };
  };

  it('exit 0 with live exceptions for the high advisories', () => {
    const r = run('three-advisories.json', [live(BRACES), live(WS)]);
    expect(r.out).toContain('3 advisory(ies), 2 accepted, 0 failure(s) at level high');
    expect(r.status).toBe(0);
  });

  it('exit 1 with an error line for the missing and the expired exception', () => {
    const r = run('three-advisories.json', [{ ...live(BRACES), expires: '2026-11-30' }]);
    expect(r.status).toBe(1);
    expect(r.out).toContain(`##vso[task.logissue type=error]audit gate: exception for ${BRACES} expired on 2026-11-30`);
    expect(r.out).toContain(`##vso[task.logissue type=error]audit gate: no exception for ${WS} (high) in ws`);
  });

  it('exit 1 when npm audit produced no report', () => {
    const r = run('endpoint-error.json', []);
    expect(r.status).toBe(1);
    expect(r.out).toContain('##vso[task.logissue type=error]audit gate: npm audit failed: 405 Method Not Allowed');
  });
});
