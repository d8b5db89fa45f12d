import { FEED_WORKFLOW } from '../../shared/application/workflows/feed';
import { feedWorkflowPorts } from '../wiring';
import { registerWorkflow } from './register';

/** The client event feed (shared/application/workflows/feed.ts) on its subscription. */
registerWorkflow(FEED_WORKFLOW, feedWorkflowPorts);
