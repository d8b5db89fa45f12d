import { app } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { getRoot } from '../composition-root';
import { timers } from '../wiring';

/**
 * The SLA watch's safety net, every five minutes: orders whose next SLA check is overdue (its
 * scheduled `order.sla-check-due` message was lost or is stuck) are checked here. Both paths are
 * idempotent; an event is raised at most once per clock.
 */
app.timer('sla-watch', {
  schedule: '0 */5 * * * *',
  handler: async () => {
    const checked = await timers.sweepSla({ correlationId: `sla-watch-${randomUUID()}` });
    if (checked) getRoot().logger.info('sla watch swept overdue checks', { ordersChecked: checked });
  },
});
