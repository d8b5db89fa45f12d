import { NOTIFIED_EVENT_TYPES } from '../../domain/notifications/rules';
import type { DomainEvent } from '../../domain/shared/events';
import type { ConsumerContext } from '../events/consumer';
import { notifyEvent, type NotificationDeps } from '../notifications/notifications';
import { handleInboundWhatsApp, type WhatsAppDeps } from '../whatsapp/conversations';
import { defineWorkflow, type Lazy, type WorkflowHandlers } from './workflow';

export interface NotificationsWorkflowPorts {
  readonly notify: Lazy<NotificationDeps>;
  readonly conversations: Lazy<WhatsAppDeps>;
}

/** One handler for every notified type: the rules table decides who hears of which event. */
const notify = async (p: NotificationsWorkflowPorts, e: DomainEvent, ctx: ConsumerContext) =>
  notifyEvent(await p.notify(), e, ctx);

/**
 * The notifications workflow: every event of the rules table (DESIGN 2.3) through one handler, and
 * the WhatsApp conversations (DESIGN 2.4) from the inbound messages the Jelou webhook queued.
 */
export const NOTIFICATIONS_WORKFLOW = defineWorkflow<NotificationsWorkflowPorts>('notifications', {
  ...(Object.fromEntries(NOTIFIED_EVENT_TYPES.map((type) => [type, notify])) as WorkflowHandlers<NotificationsWorkflowPorts>),
  'whatsapp.inbound-received': async (p, e) => {
    await handleInboundWhatsApp(await p.conversations(), e.data);
  },
});
