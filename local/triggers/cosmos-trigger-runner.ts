import type { CosmosClient } from '@azure/cosmos';
import { silentLogger, type Logger } from '../../shared/platform/logger';
import { currentFunctionsCore, type FunctionsCoreShim, type Registration } from '../functions-core';
import { invocationRequest, invokeAsWorker } from '../worker/invoke';
import { logToLogger } from '../worker/log';
import { cosmosInvocation } from '../worker/trigger-data';

/**
 * Runs `cosmosDBTrigger` registrations against the embedded Cosmos. The embedded server stamps
 * every write with a journal sequence number (`_lsn`); reading documents with `_lsn` above the lease's
 * checkpoint, in `_lsn` order, gives the latest version of each changed document — what the change
 * feed gives in Azure. As in Azure, the lease advances even when the function throws (the app's
 * outbox sweep is the retry), one batch at a time per function, from the beginning on first start
 * when `startFromBeginning` is set. Each batch is invoked as the worker does it
 * (local/worker/invoke.ts): the documents as one JSON array.
 */
export function startCosmosTriggers(opts: {
  registrations: readonly Registration[];
  client: CosmosClient;
  logger?: Logger;
  pollIntervalMs?: number;
  core?: FunctionsCoreShim;
}): { stop(): Promise<void>; names: string[] } {
  const logger = opts.logger ?? silentLogger;
  const pollIntervalMs = opts.pollIntervalMs ?? 200;
  const regs = opts.registrations.filter((r) => r.trigger.type === 'cosmosDBTrigger');
  const core = opts.core ?? currentFunctionsCore();
  if (regs.length > 0 && !core)
    throw new Error('No @azure/functions-core shim is installed: nothing can invoke the change-feed functions.');
  let running = true;
  const loops: Promise<void>[] = [];

  for (const r of regs) {
    const t = r.trigger as Record<string, unknown>;
    const watched = opts.client.database(String(t.databaseName)).container(String(t.containerName));
    const leases = opts.client
      .database(String(t.leaseDatabaseName ?? t.databaseName))
      .container(String(t.leaseContainerName ?? 'leases'));
    const leaseId = `${String(t.leaseContainerPrefix ?? '')}${r.name}`;
    const batch = Number(t.maxItemsPerInvocation ?? 100);

    const readLease = async (): Promise<number> => {
      try {
        const { resource } = await leases.item(leaseId, leaseId).read<{ lsn: number }>();
        if (resource) return resource.lsn;
      } catch {
        // no lease yet
      }
      if (t.startFromBeginning) return 0;
      const { resources } = await watched.items.query<number>('SELECT VALUE MAX(c._lsn) FROM c').fetchAll();
      return Number(resources[0] ?? 0);
    };

    /**
     * A full page may end in the middle of one transaction (its documents share an `_lsn`): the lease
     * would then pass documents never delivered. Deliver only whole transactions — drop the last
     * `_lsn` of the page (it comes again next time), or, when the page is one transaction, read all of it.
     */
    const wholeTransactions = async (page: Record<string, unknown>[]): Promise<Record<string, unknown>[]> => {
      const top = Math.max(...page.map((d) => Number(d._lsn)));
      const below = page.filter((d) => Number(d._lsn) < top);
      if (below.length > 0) return below;
      const { resources } = await watched.items
        .query<Record<string, unknown>>({
          query: 'SELECT * FROM c WHERE c._lsn = @lsn',
          parameters: [{ name: '@lsn', value: top }],
        })
        .fetchAll();
      return resources;
    };

    loops.push(
      (async () => {
        let lsn: number | undefined;
        while (running && lsn === undefined) {
          lsn = await readLease().catch((err: unknown) => {
            logger.warn('lease read failed; retrying', { function: r.name, error: (err as Error).message });
            return new Promise<undefined>((res) => setTimeout(() => res(undefined), pollIntervalMs));
          });
        }
        while (running && lsn !== undefined) {
          let docs: Record<string, unknown>[] = [];
          let full = false;
          try {
            const { resources: page } = await watched.items
              .query<Record<string, unknown>>(
                { query: 'SELECT * FROM c WHERE c._lsn > @lsn ORDER BY c._lsn ASC', parameters: [{ name: '@lsn', value: lsn }] },
                { maxItemCount: batch },
              )
              .fetchNext();
            full = page.length >= batch;
            docs = full ? await wholeTransactions(page) : page;
          } catch (err) {
            logger.warn('change feed read failed', { function: r.name, error: (err as Error).message });
          }
          if (docs.length > 0) {
            try {
              const request = invocationRequest(r, cosmosInvocation(docs));
              await invokeAsWorker(r, request, { core: core!, log: logToLogger(logger, r.name, request.invocationId) });
            } catch (err) {
              logger.error('change feed function failed; the lease advances (Azure semantics)', { function: r.name, error: err });
            }
            lsn = Math.max(lsn, ...docs.map((d) => Number(d._lsn)));
            await leases.items
              .upsert({ id: leaseId, lsn, owner: 'local-host', updatedAt: new Date().toISOString() })
              .catch((err: unknown) => logger.warn('lease write failed', { function: r.name, error: (err as Error).message }));
          }
          if (!full) await new Promise((res) => setTimeout(res, pollIntervalMs));
        }
      })(),
    );
  }
  return {
    names: regs.map((r) => r.name),
    stop: async () => {
      running = false;
      await Promise.allSettled(loops);
    },
  };
}
