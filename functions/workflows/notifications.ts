import { notifyOrderSubmitted, type NotificationDeps } from '../../shared/application/notifications/notifications';
import { getRoot } from '../composition-root';
import { registerWorkflow } from './register';

async function deps(): Promise<NotificationDeps> {
  const root = getRoot();
  const [notifications, users, email] = await Promise.all([root.notifications(), root.users(), root.email()]);
  return { notifications, users, email, clock: root.clock };
}

registerWorkflow('notifications', async () => {
  const d = await deps();
  return { 'order.submitted': (event, ctx) => notifyOrderSubmitted(d, event, ctx) };
});
