import { parseArgs } from 'node:util';
import { TOPOLOGY } from '../../shared/adapters/servicebus/topology';
import type { DeadLetter, LocalBus } from './local-bus';

/** The `npm run dlq` commands, apart from the process around them (so tests can call them). */
export const DLQ_USAGE =
  'usage: npm run dlq -- list [--subscription <name>] [--json]\n' +
  '       npm run dlq -- show <messageId> [--subscription <name>]\n' +
  '       npm run dlq -- replay <messageId>|--all [--subscription <name>]\n' +
  '       (all take --data-dir <folder>, default .local)';

export class UsageError extends Error {}

/** The subscriptions of the topology, by name (the ones `--subscription` accepts). */
export const DLQ_SUBSCRIPTIONS: readonly string[] = TOPOLOGY.subscriptions.map((s) => s.name);

export interface DeadLetterEntry {
  readonly subscription: string;
  readonly message: DeadLetter;
}

/**
 * The dead-lettered messages of one subscription, or of all (the console's page and `list`/`show`
 * read them here, so both see the same thing).
 */
export async function listDeadLetters(bus: LocalBus, subscription?: string): Promise<DeadLetterEntry[]> {
  const found: DeadLetterEntry[] = [];
  for (const s of subscriptionsOf(subscription))
    for (const message of await bus.deadLetters(s)) found.push({ subscription: s, message });
  return found;
}

/**
 * Puts dead-lettered messages back on their subscription (`messageId`, or every one when absent),
 * in one subscription or all; answers how many. `replay` and the console's replay buttons call this.
 */
export async function replayDeadLetters(bus: LocalBus, target: { subscription?: string; messageId?: string }): Promise<number> {
  let count = 0;
  for (const s of subscriptionsOf(target.subscription)) count += await bus.replay(s, target.messageId);
  return count;
}

function subscriptionsOf(subscription: string | undefined): readonly string[] {
  if (subscription === undefined) return DLQ_SUBSCRIPTIONS;
  if (!DLQ_SUBSCRIPTIONS.includes(subscription))
    throw new UsageError(`unknown subscription "${subscription}"; one of: ${DLQ_SUBSCRIPTIONS.join(', ')}`);
  return [subscription];
}

/** Runs one dlq command against a bus; returns what to print. */
export async function runDlqCommand(argv: readonly string[], bus: LocalBus): Promise<string> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      subscription: { type: 'string' },
      json: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
    },
  });
  const [command, messageId] = positionals;
  const subscription = values.subscription || undefined;
  const subscriptions = subscriptionsOf(subscription);
  const all = () => listDeadLetters(bus, subscription);

  switch (command) {
    case 'list': {
      const found = await all();
      if (values.json)
        return JSON.stringify(
          found.map((f) => ({ subscription: f.subscription, ...f.message })),
          null,
          2,
        );
      if (found.length === 0) return `no dead-lettered messages in ${subscriptions.join(', ')}`;
      return found
        .map(
          ({ subscription, message: m }) =>
            `${subscription}  ${m.messageId}  ${String(m.applicationProperties.type ?? '?')}  deliveries=${m.deliveryCount}  ${m.reason}: ${m.description}`,
        )
        .join('\n');
    }
    case 'show': {
      if (!messageId) throw new UsageError('show needs a messageId');
      const found = (await all()).filter((f) => f.message.messageId === messageId);
      if (found.length === 0) throw new UsageError(`no dead-lettered message ${messageId} in ${subscriptions.join(', ')}`);
      return JSON.stringify(
        found.map((f) => ({ subscription: f.subscription, ...f.message })),
        null,
        2,
      );
    }
    case 'replay': {
      if (!messageId && !values.all) throw new UsageError('replay needs a messageId or --all');
      const count = await replayDeadLetters(bus, {
        ...(subscription ? { subscription } : {}),
        ...(values.all || !messageId ? {} : { messageId }),
      });
      if (count === 0) throw new UsageError(`nothing to replay${messageId ? ` for ${messageId}` : ''}`);
      return `replayed ${count} message(s): back on their subscription with the delivery count (and a re-sent copy's retry attempts) reset`;
    }
    default:
      throw new UsageError(command ? `unknown command "${command}"` : 'a command is needed');
  }
}
