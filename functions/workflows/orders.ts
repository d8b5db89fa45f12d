import { ORDERS_WORKFLOW } from '../../shared/application/workflows/orders';
import { ordersWorkflowPorts } from '../wiring';
import { registerWorkflow } from './register';

/** The orders workflow (shared/application/workflows/orders.ts) on its subscription. */
registerWorkflow(ORDERS_WORKFLOW, ordersWorkflowPorts);
