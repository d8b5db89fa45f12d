import { app } from '@azure/functions';
import { getRoot } from '../composition-root';
import { outbox } from '../wiring';

/** Events still unrelayed after this long are the sweep's (the change-feed relay had its chance). */
const SWEEP_AFTER_MS = 2 * 60_000;

app.timer('outbox-sweep', {
  schedule: '0 */2 * * * *',
  handler: async () => {
    for (const { container, republished } of await outbox.sweep(SWEEP_AFTER_MS))
      if (republished > 0)
        getRoot().logger.warn('outbox sweep relayed events the change feed missed', { container, count: republished });
  },
});
