import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  countSince,
  republishSince,
  RepublishWindowError,
  type OutboxCount,
  type RepublishDeps,
  type RepublishResult,
} from '../shared/application/events/republish';

/**
 * The `npm run outbox` commands, apart from the process and the target around them (scripts/outbox.ts
 * chooses Azure or the local data folder), so the failover test runs exactly this code.
 */
export const OUTBOX_USAGE =
  'usage: npm run outbox -- republish --since <UTC ISO time>|oldest [--until <UTC ISO time>] [--dry-run] [--force] [--json]\n' +
  '       npm run outbox -- count     --since <UTC ISO time>|oldest [--until <UTC ISO time>] [--json]\n' +
  '       target: Azure when COSMOS__accountEndpoint is set (with SERVICEBUS__fullyQualifiedNamespace to republish,\n' +
  '       signed in with az login), else the local data folder (--data-dir <folder>, default .local)\n' +
  '       times: e.g. 2026-12-07T01:30:00Z; the window is [since, until), until defaults to now;\n' +
  '       oldest = now - 24 h, everything the outbox is sure to keep (after a Service Bus failover)';

export class UsageError extends Error {}

const isoTime = z.iso.datetime({ offset: true });

function timeArg(name: string, value: string | boolean | undefined): Date | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isoTime.safeParse(value).success)
    throw new UsageError(
      `--${name} needs an ISO-8601 time with its zone, e.g. 2026-12-07T01:30:00Z${name === 'since' ? ', or oldest' : ''}`,
    );
  return new Date(value);
}

export type OutboxCommand =
  | { readonly command: 'count'; readonly since: Date | 'oldest'; readonly until?: Date; readonly json: boolean }
  | {
      readonly command: 'republish';
      readonly since: Date | 'oldest';
      readonly until?: Date;
      readonly dryRun: boolean;
      readonly force: boolean;
      readonly json: boolean;
    };

/** The command line, checked; a `UsageError` says what is wrong (the process exits with 2). */
export function parseOutboxCommand(argv: readonly string[]): OutboxCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    // node:util's own messages (an unknown option, a missing value) are usage errors too.
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...extra] = positionals;
  if (command !== 'count' && command !== 'republish')
    throw new UsageError(command ? `unknown command "${command}"` : 'a command is needed: republish or count');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const since = values.since === 'oldest' ? 'oldest' : timeArg('since', values.since);
  if (!since) throw new UsageError(`${command} needs --since`);
  const until = timeArg('until', values.until);
  if (command === 'count') {
    if (values['dry-run'] || values.force) throw new UsageError('count takes no --dry-run or --force (it only reads)');
    return { command, since, ...(until ? { until } : {}), json: values.json === true };
  }
  return {
    command,
    since,
    ...(until ? { until } : {}),
    dryRun: values['dry-run'] === true,
    force: values.force === true,
    json: values.json === true,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      'dry-run': { type: 'boolean' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
  });
}

/** Runs a parsed command; answers what to print. A window the outbox cannot answer for is a `UsageError`. */
export interface OutboxCommandDeps extends Omit<RepublishDeps, 'publisher'> {
  publisher(): Promise<RepublishDeps['publisher']>;
  /**
   * After a republish: wakes the client feed's lanes that have unfinished deliveries (their wake-ups
   * do not go through the outbox; shared/application/feed/rewake.ts). Answers how many lanes.
   */
  rewakeFeedLanes(publisher: RepublishDeps['publisher']): Promise<number>;
}

export async function runOutboxCommand(command: OutboxCommand, deps: OutboxCommandDeps): Promise<string> {
  try {
    if (command.command === 'count') {
      // Counting only reads: a window beyond the retention is answered, and said to be incomplete.
      const count = await countSince(deps, {
        since: command.since,
        ...(command.until ? { until: command.until } : {}),
        force: true,
      });
      return command.json ? JSON.stringify(count, null, 2) : describeCount(count, deps.retentionSeconds);
    }
    const publisher = command.dryRun ? refusingPublisher : await deps.publisher();
    const republished = await republishSince(
      { ...deps, publisher },
      {
        since: command.since,
        ...(command.until ? { until: command.until } : {}),
        force: command.force,
        dryRun: command.dryRun,
      },
    );
    const result = { ...republished, feedLanesWoken: command.dryRun ? 0 : await deps.rewakeFeedLanes(publisher) };
    return command.json ? JSON.stringify(result, null, 2) : describeRepublish(result, deps.retentionSeconds);
  } catch (err) {
    if (err instanceof RepublishWindowError) throw new UsageError(err.message);
    throw err;
  }
}

/** A dry run must send nothing: its publisher says so loudly if it is ever called. */
const refusingPublisher: RepublishDeps['publisher'] = {
  publish: async () => {
    throw new Error('a dry run publishes nothing');
  },
};

function windowLine(w: { since: Date; until: Date }, complete: boolean, retentionSeconds: number): string {
  const line = `window [${w.since.toISOString()}, ${w.until.toISOString()})`;
  return complete
    ? line
    : `${line} — older than the outbox keeps relayed events (${retentionSeconds / 3600} h): some may be gone`;
}

function describeCount(count: OutboxCount, retentionSeconds: number): string {
  const types = Object.entries(count.byType)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, c]) => `  ${type}  relayed=${c.relayed}  unrelayed=${c.unrelayed}`);
  const containers = Object.entries(count.byContainer).map(([name, n]) => `${name}=${n}`);
  return [
    windowLine(count.window, count.complete, retentionSeconds),
    `${count.total} event(s) in the outbox (${containers.join(', ')})`,
    ...types,
  ].join('\n');
}

function describeRepublish(result: RepublishResult & { feedLanesWoken: number }, retentionSeconds: number): string {
  const types = Object.entries(result.byType)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `  ${type}  ${n}`);
  const what = result.dryRun
    ? `dry run: ${result.total} event(s) would be republished, nothing sent`
    : `republished ${result.published} event(s) (${result.unrelayed} never relayed before, now marked relayed)`;
  const lanes = result.dryRun ? [] : [`woke ${result.feedLanesWoken} client-feed lane(s) with unfinished deliveries`];
  return [windowLine(result.window, result.complete, retentionSeconds), what, ...types, ...lanes].join('\n');
}
