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
  handler: async () => {
    const opened = await timers.generatePlans({ correlationId: `plan-generation-${randomUUID()}` });
    if (opened) getRoot().logger.info('plan generation opened orders', { ordersOpened: opened });
  },
});
