import { NOTIFICATIONS_WORKFLOW } from '../../shared/application/workflows/notifications';
import { notificationsWorkflowPorts } from '../wiring';
import { registerWorkflow } from './register';

/** The notifications workflow (shared/application/workflows/notifications.ts) on its subscription. */
registerWorkflow(NOTIFICATIONS_WORKFLOW, notificationsWorkflowPorts);
