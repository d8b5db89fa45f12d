/**
 * The release's dependency gate (issue 23, item 3): reads what `npm audit --json` reported for the
 * production dependencies and the accepted advisories in `.audit-exceptions.json`, and fails the
 * release when
 *   - an advisory at or above the threshold (default high) has no live exception,
 *   - an exception has expired (accepting a risk is a decision with a date on it: renew it with a
 *     new reason, or fix the dependency),
 *   - the exceptions file is malformed, or the audit itself failed (no report is not a clean report).
 * Advisories below the threshold and exceptions no longer needed are printed as warnings.
 *
 *   npm audit --omit=dev --audit-level=high --json > audit.json || true
 *   node --experimental-strip-types infra/scripts/audit-gate.ts --audit audit.json \
 *     [--exceptions .audit-exceptions.json] [--level high] [--now 2026-12-07T00:00:00Z]
 *
 * Runs in the pipeline only, never in .ci/run: a newly published advisory must not turn an unrelated
 * change red, only stop a release (docs/operations.md, "Releasing").
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One advisory as `npm audit --json` (report version 2, npm 7 to 11) lists it in a `via` entry. */
export interface Advisory {
  /** The GitHub advisory id (GHSA-…) from its URL, or the npm source number when there is none. */
  readonly id: string;
  readonly source: string;
  readonly title: string;
  readonly severity: Severity;
  readonly url: string;
  /** The packages it reaches, by name (the vulnerable one first). */
  readonly packages: readonly string[];
}

export interface Exception {
  /** GHSA id (preferred) or the npm advisory source number. */
  readonly id: string;
  readonly reason: string;
  /** Last day (UTC, YYYY-MM-DD) the exception holds. */
  readonly expires: string;
}

export interface GateResult {
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  readonly accepted: readonly string[];
}

const GHSA = /GHSA(-[23456789cfghjmpqrvwx]{4}){3}/i;

/** The advisories of an `npm audit --json` report, one per id. Throws when the report is an error. */
export function advisoriesOf(report: unknown): Advisory[] {
  const r = report as {
    error?: { summary?: string; code?: string };
    message?: string;
    vulnerabilities?: Record<string, unknown>;
  };
  if (!r || typeof r !== 'object') throw new Error('the audit report is not a JSON object');
  // e.g. the advisory endpoint refusing: { message: '405 Method Not Allowed - POST …', error: { summary: '' } }
  if (r.error) throw new Error(`npm audit failed: ${r.error.summary || r.message || r.error.code || 'no detail'}`);
  if (!r.vulnerabilities || typeof r.vulnerabilities !== 'object')
    throw new Error('the audit report has no "vulnerabilities" (not npm audit --json, report version 2)');
  const byId = new Map<string, Advisory>();
  for (const [pkg, entry] of Object.entries(r.vulnerabilities)) {
    // A string in `via` names another vulnerable package: its advisory is listed under that package.
    for (const via of ((entry as { via?: unknown[] }).via ?? []).filter((v) => v && typeof v === 'object')) {
      const v = via as { source?: unknown; title?: unknown; url?: unknown; severity?: unknown; name?: unknown };
      const url = typeof v.url === 'string' ? v.url : '';
      const source = v.source === undefined ? '' : String(v.source);
      const id = (GHSA.exec(url)?.[0] ?? source).toUpperCase();
      if (!id) continue;
      const severity = (SEVERITIES as readonly string[]).includes(String(v.severity)) ? (v.severity as Severity) : 'critical';
      const known = byId.get(id);
      const packages = [...new Set([...(known?.packages ?? []), typeof v.name === 'string' ? v.name : pkg, pkg])];
      byId.set(id, { id, source, title: typeof v.title === 'string' ? v.title : '', severity, url, packages });
    }
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** Reads `.audit-exceptions.json`: `{ "exceptions": [{ id, reason, expires }] }`. */
export function exceptionsOf(file: unknown): { exceptions: Exception[]; problems: string[] } {
  const list = (file as { exceptions?: unknown })?.exceptions;
  if (!Array.isArray(list)) return { exceptions: [], problems: ['.audit-exceptions.json: "exceptions" must be an array'] };
  const exceptions: Exception[] = [];
  const problems: string[] = [];
  list.forEach((e: Record<string, unknown>, i) => {
    const at = `.audit-exceptions.json exceptions[${i}]`;
    const id = typeof e?.id === 'string' ? e.id.trim() : '';
    const reason = typeof e?.reason === 'string' ? e.reason.trim() : '';
    const expires = typeof e?.expires === 'string' ? e.expires.trim() : '';
    if (!id) problems.push(`${at}: no "id" (the GHSA id of the advisory)`);
    if (!reason) problems.push(`${at} ${id}: no "reason" (why the advisory does not reach us, or what mitigates it)`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(expires) || Number.isNaN(Date.parse(`${expires}T00:00:00Z`)))
      problems.push(`${at} ${id}: "expires" must be a date YYYY-MM-DD, got '${expires}'`);
    else if (id && reason) exceptions.push({ id: id.toUpperCase(), reason, expires });
  });
  return { exceptions, problems };
}

/** An exception holds through the whole of its `expires` day, UTC. */
export const expired = (e: Exception, now: Date) => now.getTime() >= Date.parse(`${e.expires}T00:00:00Z`) + 86_400_000;

export function gate(
  advisories: readonly Advisory[],
  exceptions: readonly Exception[],
  { level = 'high' as Severity, now = new Date() } = {},
): GateResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const accepted: string[] = [];
  const rank = (s: Severity) => SEVERITIES.indexOf(s);
  const matches = (e: Exception, a: Advisory) => {
    const id = e.id.toUpperCase();
    return id === a.id || (a.source !== '' && id === a.source.toUpperCase());
  };
  for (const e of exceptions)
    if (expired(e, now))
      errors.push(
        `exception for ${e.id} expired on ${e.expires} (${e.reason}): fix the dependency, or renew the exception with a new date and reason`,
      );
  for (const a of advisories) {
    const what = `${a.id} (${a.severity}) in ${a.packages.join(', ')}: ${a.title} ${a.url}`.trim();
    if (rank(a.severity) < rank(level)) {
      warnings.push(`below the ${level} threshold: ${what}`);
      continue;
    }
    const exception = exceptions.find((e) => matches(e, a));
    if (!exception) errors.push(`no exception for ${what}`);
    else if (!expired(exception, now)) accepted.push(`accepted until ${exception.expires}: ${what} — ${exception.reason}`);
  }
  for (const e of exceptions)
    if (!expired(e, now) && !advisories.some((a) => matches(e, a)))
      warnings.push(`exception for ${e.id} is no longer needed (npm audit does not report it): remove it`);
  return { errors, warnings, accepted };
}

function option(argv: readonly string[], name: string): string | undefined {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : undefined;
}

export function main(argv: readonly string[], log = console.log): number {
  const auditFile = option(argv, 'audit');
  const exceptionsFile = option(argv, 'exceptions') ?? '.audit-exceptions.json';
  const level = (option(argv, 'level') ?? 'high') as Severity;
  const now = option(argv, 'now');
  if (!auditFile || !SEVERITIES.includes(level) || (now !== undefined && Number.isNaN(Date.parse(now)))) {
    log(
      'usage: audit-gate.ts --audit <npm audit --json output> [--exceptions .audit-exceptions.json] [--level high] [--now <ISO time>]',
    );
    return 2;
  }
  const error = (line: string) => log(`##vso[task.logissue type=error]audit gate: ${line}`);
  let advisories: Advisory[];
  let parsed: { exceptions: Exception[]; problems: string[] };
  try {
    advisories = advisoriesOf(JSON.parse(readFileSync(auditFile, 'utf8')));
    parsed = exceptionsOf(JSON.parse(readFileSync(exceptionsFile, 'utf8')));
  } catch (err) {
    error((err as Error).message);
    return 1;
  }
  const result = gate(advisories, parsed.exceptions, { level, now: now ? new Date(now) : new Date() });
  for (const line of result.accepted) log(`accepted ${line}`);
  for (const line of result.warnings) log(`##vso[task.logissue type=warning]audit gate: ${line}`);
  for (const line of [...parsed.problems, ...result.errors]) error(line);
  const failed = parsed.problems.length + result.errors.length;
  log(`${advisories.length} advisory(ies), ${result.accepted.length} accepted, ${failed} failure(s) at level ${level}`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exit(main(process.argv.slice(2)));
