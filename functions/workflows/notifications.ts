import type { EventHandlers } from '../../shared/application/events/consumer';
import { notifyEvent, type NotificationDeps } from '../../shared/application/notifications/notifications';
import { NOTIFIED_EVENT_TYPES } from '../../shared/domain/notifications/rules';
import { handleInboundWhatsApp } from '../../shared/application/whatsapp/conversations';
import { getRoot } from '../composition-root';
import { whatsAppDeps } from '../http/deps';
import { registerWorkflow } from './register';

async function deps(): Promise<NotificationDeps> {
  const root = getRoot();
  const [notifications, users, orders, providers] = await Promise.all([
    root.notifications(),
    root.users(),
    root.orders(),
    root.providers(),
  ]);
  return {
    notifications,
    users,
    orders,
    providers,
    // The channels' adapters are built on first use: an event nobody is notified of by e-mail
    // never loads SendGrid, one without WhatsApp recipients never loads Jelou.
    email: { send: async (m) => (await root.email()).send(m) },
    whatsapp: { send: async (m) => (await root.whatsapp()).send(m) },
    clock: root.clock,
  };
}

/**
 * The notifications workflow: every event of the rules table (DESIGN 2.3) through one handler, and
 * the WhatsApp conversations (DESIGN 2.4) from the inbound messages the Jelou webhook queued.
 */
registerWorkflow('notifications', async (): Promise<EventHandlers> => {
  const d = await deps();
  const handle = (event: Parameters<typeof notifyEvent>[1], ctx: Parameters<typeof notifyEvent>[2]) => notifyEvent(d, event, ctx);
  const handlers = Object.fromEntries(NOTIFIED_EVENT_TYPES.map((type) => [type, handle])) as EventHandlers;
  return {
    ...handlers,
    'whatsapp.inbound-received': async (e) => {
      await handleInboundWhatsApp(await whatsAppDeps(), e.data);
    },
  };
});
