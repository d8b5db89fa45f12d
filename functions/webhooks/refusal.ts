import type { EndpointResult } from '../../shared/platform/http/endpoint';
import { problemBody } from '../../shared/platform/http/problem';

/**
 * A partner's signed request whose content is refused — not the sender's shape, or an event
 * outside the sender's window: 400 `validation-error`, nothing done. (The API's own bodies get the
 * same problem from the pipeline; a webhook parses its raw bytes itself, after the signature.)
 */
export function refusedEvent(detail: string, pointer: string, correlationId: string): EndpointResult {
  return {
    status: 400,
    headers: { 'content-type': 'application/problem+json' },
    body: problemBody('validation-error', { detail, errors: [{ pointer, detail }], correlationId }),
  };
}
