import { app } from '@azure/functions';
import { sweepOutbox } from '../../shared/application/events/relay';
import { getRoot, OUTBOX_CONTAINERS } from '../composition-root';

/** Events still unrelayed after this long are the sweep's (the change-feed relay had its chance). */
const SWEEP_AFTER_MS = 2 * 60_000;

app.timer('outbox-sweep', {
  schedule: '0 */2 * * * *',
  handler: async () => {
    const root = getRoot();
    for (const name of OUTBOX_CONTAINERS) {
      const republished = await sweepOutbox(
        { publisher: await root.publisher(), outbox: await root.outbox(name), now: () => root.clock.now() },
        { olderThanMs: SWEEP_AFTER_MS, batch: 100 },
      );
      if (republished > 0)
        root.logger.warn('outbox sweep relayed events the change feed missed', { container: name, count: republished });
    }
  },
});
