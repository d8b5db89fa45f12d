import { PROVIDERS_WORKFLOW } from '../../shared/application/workflows/providers';
import { providersWorkflowPorts } from '../wiring';
import { registerWorkflow } from './register';

/** The providers workflow (shared/application/workflows/providers.ts) on its subscription. */
registerWorkflow(PROVIDERS_WORKFLOW, providersWorkflowPorts);
