import type { Root } from '../functions/composition-root';
import { CONTAINERS } from '../shared/adapters/cosmos/containers';
import type { Logger } from '../shared/platform/logger';
import { createLocalBus, type LocalBus } from './bus/local-bus';
import { bindServiceBusTriggers } from './bus/service-bus-trigger-runner';
import type { Registration } from './functions-core';
import { startCosmosTriggers } from './triggers/cosmos-trigger-runner';
import { startTimers } from './triggers/timer-runner';

/**
 * Timers the local host runs once at start as well as on their schedule: the plan generation, so a
 * fresh `npm start` (or a restart) opens the demo plan's due orders at once rather than at the next
 * hour. In Azure the timer runs on its schedule only (docs/plans.md).
 */
const RUN_AT_START = ['plan-generation'];

export interface WorkflowRuntime {
  readonly bus: LocalBus;
  close(): Promise<void>;
}

/**
 * Everything behind the API, as the Functions host runs it in Azure: the change-feed relay
 * (`cosmosDBTrigger`), the timers (`timerTrigger`) and the workflows (`serviceBusTrigger`) on the
 * durable local bus. The registrations are the entry's own: no second list.
 */
export async function startWorkflowRuntime(opts: {
  registrations: readonly Registration[];
  root: Root;
  bus: LocalBus;
  logger: Logger;
}): Promise<WorkflowRuntime> {
  const { registrations, root, bus, logger } = opts;
  const consumers = bindServiceBusTriggers(bus, registrations, logger);
  bus.start();
  const triggers = startCosmosTriggers({ registrations, client: await root.cosmos(), logger });
  const timers = startTimers({ registrations, logger, runAtStart: RUN_AT_START });
  logger.info('workflow runtime started', { consumers, changeFeed: triggers.names, timers: timers.names });
  return {
    bus,
    close: async () => {
      await timers.stop();
      await triggers.stop();
      await bus.stop();
    },
  };
}

/** The local bus over the embedded Cosmos `bus` container. */
export async function createBus(root: Root, logger: Logger): Promise<LocalBus> {
  const def = CONTAINERS.bus;
  const container = (await root.cosmos()).database(def.database).container(def.id);
  return createLocalBus({ container, logger });
}
