import { app } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { getRoot } from '../composition-root';
import { timers } from '../wiring';

/**
 * The maintenance plan timer (docs/plans.md), hourly: opens the order of every plan occurrence that
 * is due (its date minus the plan's lead time). Exactly one order per occurrence whatever the
 * retries: the order id is derived from the occurrence.
 */
app.timer('plan-generation', {
  schedule: '0 5 * * * *',
  // Also when a host starts: generation is idempotent, and a plan due while no host ran (a deploy,
  // a fresh `npm start` with the demo plan) is opened without waiting for the next hour.
  runOnStartup: true,
  handler: async () => {
    const opened = await timers.generatePlans({ correlationId: `plan-generation-${randomUUID()}` });
    if (opened) getRoot().logger.info('plan generation opened orders', { ordersOpened: opened });
  },
});
