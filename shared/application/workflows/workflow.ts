import type { ConsumerContext, EventHandlers } from '../events/consumer';
import type { EventType, TypedEvent } from '../events/registry';

/** One event type's handler: the workflow's ports first, then the delivered event. */
export type WorkflowHandler<P, T extends EventType> = (ports: P, event: TypedEvent<T>, ctx: ConsumerContext) => Promise<void>;

export type WorkflowHandlers<P> = { readonly [T in EventType]?: WorkflowHandler<P, T> };

/**
 * A workflow: the Service Bus subscription it consumes and its handler map (event type → handler),
 * declared once. The subscription's filter is derived from the map's keys
 * (shared/adapters/servicebus/topology.ts), so a type is delivered exactly when it is handled.
 */
export interface Workflow<P> {
  readonly subscription: string;
  readonly handlers: WorkflowHandlers<P>;
}

/**
 * A use case's ports, built on first need: a handler awaits only the ones it uses, so an event that
 * calls no partner never loads a partner's adapter.
 */
export type Lazy<T> = () => Promise<T>;

export function defineWorkflow<P>(subscription: string, handlers: WorkflowHandlers<P>): Workflow<P> {
  return { subscription, handlers };
}

/** The event types a workflow handles: its subscription filter. */
export function eventTypesOf(workflow: Workflow<never>): EventType[] {
  return Object.keys(workflow.handlers) as EventType[];
}

/** The workflow's handlers bound to its ports, as the consumer dispatches them. */
export function handlersOf<P>(workflow: Workflow<P>, ports: P): EventHandlers {
  const bound: Record<string, (event: never, ctx: ConsumerContext) => Promise<void>> = {};
  for (const [type, handler] of Object.entries(workflow.handlers) as [EventType, WorkflowHandler<P, EventType>][])
    bound[type] = (event, ctx) => handler(ports, event, ctx);
  return bound as EventHandlers;
}

/** The system's call of a handler: the event's correlation (and trace) carried on. */
export function callOf(event: { readonly correlationId: string; readonly traceparent?: string }) {
  return { correlationId: event.correlationId, ...(event.traceparent ? { traceparent: event.traceparent } : {}) };
}
