import { CosmosClient } from '@azure/cosmos';
import { CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { OUTBOX_CONTAINERS } from '../../functions/composition-root';

/**
 * Whether the embedded stack's event spine has come to rest, read from its own stores: no event
 * document waits for the relay, and no bus message is being delivered or due soon (a message due
 * later — a quote deadline, an SLA check — is a pending effect, not activity). Polled until it holds
 * on several reads in a row, because a delivery in progress can publish the next event.
 */
export interface SpineProbe {
  quiet(): Promise<boolean>;
  /** The bus's messages waiting for a later time, by subscription and messageId (sorted). */
  scheduled(): Promise<string[]>;
  dispose(): void;
}

/** Due within this much is "soon": the feed's shortened settle and retry delays fall inside it. */
const SOON_MS = 30_000;

export function spineProbe(cosmos: { endpoint: string; key: string }): SpineProbe {
  const client = new CosmosClient({ endpoint: cosmos.endpoint, key: cosmos.key });
  const container = (name: keyof typeof CONTAINERS) => client.database(CONTAINERS[name].database).container(CONTAINERS[name].id);
  const count = async (name: keyof typeof CONTAINERS, query: string, parameters: { name: string; value: number }[] = []) => {
    const { resources } = await container(name).items.query<number>({ query, parameters }).fetchAll();
    return resources.reduce((a, b) => a + b, 0);
  };
  return {
    async quiet() {
      for (const name of OUTBOX_CONTAINERS)
        if ((await count(name, 'SELECT VALUE COUNT(1) FROM c WHERE c.docType = "event" AND c.relayed = false')) > 0) return false;
      const busy = await count(
        'bus',
        'SELECT VALUE COUNT(1) FROM c WHERE c.state = "active" AND (IS_DEFINED(c.lockToken) OR c.visibleAt <= @soon)',
        [{ name: '@soon', value: Date.now() + SOON_MS }],
      );
      return busy === 0;
    },
    async scheduled() {
      const { resources } = await container('bus')
        .items.query<{ subscription: string; messageId: string }>(
          'SELECT c.subscription, c.messageId FROM c WHERE c.state = "active"',
        )
        .fetchAll();
      return resources.map((m) => `${m.subscription} ${m.messageId}`).sort();
    },
    dispose: () => client.dispose(),
  };
}

/** Waits until the spine is quiet on three reads in a row. */
export async function untilQuiet(probe: SpineProbe, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let streak = 0;
  while (streak < 3) {
    if (Date.now() > until) throw new Error('the event spine did not come to rest in time');
    streak = (await probe.quiet()) ? streak + 1 : 0;
    await new Promise((r) => setTimeout(r, 250));
  }
}
