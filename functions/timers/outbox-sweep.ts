import { app } from '@azure/functions';
import { sweepOutbox } from '../../shared/application/events/relay';
import { getRoot } from '../composition-root';

/** Events still unrelayed after this long are the sweep's (the change-feed relay had its chance). */
const SWEEP_AFTER_MS = 2 * 60_000;

app.timer('outbox-sweep', {
  schedule: '0 */2 * * * *',
  handler: async () => {
    const root = getRoot();
    const republished = await sweepOutbox(
      { publisher: await root.publisher(), outbox: await root.outbox('orders'), now: () => root.clock.now() },
      { olderThanMs: SWEEP_AFTER_MS, batch: 100 },
    );
    if (republished > 0) root.logger.warn('outbox sweep relayed events the change feed missed', { count: republished });
  },
});
