import { z } from 'zod';
import { CHANNELS, LOCALES } from '../../shared/domain/users/user';
import { NOTIFICATION_STATUSES } from '../../shared/domain/notifications/notification';
import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { notifications } from '../wiring';
import { notificationPageExample } from './examples';
import { registerEndpoint } from './register';
import { pageOf, pageQuery, pageRequest } from './schemas';

const notificationSchema = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  recipientUserId: z.string(),
  channel: z.enum(CHANNELS),
  locale: z.enum(LOCALES),
  template: z.string(),
  subject: z.string(),
  orderId: z.string().optional(),
  status: z.enum(NOTIFICATION_STATUSES),
  history: z.array(z.object({ status: z.enum(NOTIFICATION_STATUSES), at: z.string(), detail: z.string().optional() })),
  createdAt: z.string(),
  updatedAt: z.string(),
});

registerEndpoint(
  defineEndpoint({
    name: 'notifications-list',
    method: 'GET',
    route: 'v1/notifications',
    summary: 'The caller’s notifications, newest first; staff: every notification of an order (orderId)',
    tags: ['notifications'],
    auth: 'bearer',
    query: z.object({ orderId: z.string().min(1).max(128).optional(), ...pageQuery }),
    responses: {
      200: { description: 'A page of notifications', schema: pageOf(notificationSchema), example: notificationPageExample },
    },
    handler: async (ctx) => {
      const { orderId, limit, continuationToken } = ctx.query;
      const page = await notifications.list(ctx, orderId ? { orderId } : {}, pageRequest({ limit, continuationToken }));
      // Internal fields (clientId, correlationId) stay out of the answer.
      return { status: 200, body: { ...page, items: page.items.map((n) => notificationSchema.parse(n)) } };
    },
  }),
);
