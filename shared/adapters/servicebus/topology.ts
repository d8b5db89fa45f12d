/** The topic every domain event is published to (the event spine builds the full topology here). */
export const DOMAIN_EVENTS_TOPIC = 'domain-events';
