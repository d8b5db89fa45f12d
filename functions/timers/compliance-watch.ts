import { app } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { getRoot } from '../composition-root';
import { timers } from '../wiring';

/**
 * The compliance watch's safety net, every day at 06:00 in Colombia (11:00 UTC): every provider with
 * a document expiring within 30 days is checked (reminders, suspension at expiry). The scheduled
 * `provider.compliance-check-due` messages do the same on the exact dates; both are idempotent.
 */
app.timer('compliance-watch', {
  schedule: '0 0 11 * * *',
  handler: async () => {
    const checked = await timers.sweepCompliance({ correlationId: `compliance-watch-${randomUUID()}` });
    getRoot().logger.info('compliance watch ran', { providersChecked: checked });
  },
});
