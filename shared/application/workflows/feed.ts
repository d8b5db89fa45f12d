import type { DomainEvent } from '../../domain/shared/events';
import { fanOut, runLane, type FeedDeliveryDeps } from '../feed/dispatch';
import { FEED_EVENT_TYPES } from '../feed/endpoints';
import { defineWorkflow, type Lazy, type WorkflowHandlers } from './workflow';

export interface FeedWorkflowPorts {
  readonly delivery: Lazy<FeedDeliveryDeps>;
}

const fan = async (p: FeedWorkflowPorts, e: DomainEvent) => void (await fanOut(await p.delivery(), e));

/**
 * The client event feed (docs/webhooks.md): every order event of the registry (a new one included
 * without a change here) fans out to the client's endpoints; `feed.lane-due` — the feed's own
 * wake-up, scheduled for retries — runs one attempt of a lane.
 */
export const FEED_WORKFLOW = defineWorkflow<FeedWorkflowPorts>('client-feed', {
  ...(Object.fromEntries(FEED_EVENT_TYPES.map((type) => [type, fan])) as WorkflowHandlers<FeedWorkflowPorts>),
  'feed.lane-due': async (p, e) => {
    await runLane(await p.delivery(), e.data, e.correlationId);
  },
});
