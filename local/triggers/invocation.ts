import { randomUUID } from 'node:crypto';
import * as azureFunctions from '@azure/functions';
import type { InvocationContext } from '@azure/functions';
import type { Logger } from '../../shared/platform/logger';
import type { Registration } from '../functions-core';

// The library's classes through its default export: named imports of classes fail under plain tsx.
const library = ((azureFunctions as { default?: typeof azureFunctions }).default ?? azureFunctions) as typeof azureFunctions;

/** An InvocationContext like the host's for a non-HTTP trigger; context.log goes to our logger. */
export function invocationContext(
  registration: Registration,
  logger: Logger,
  triggerMetadata: Record<string, unknown> = {},
): InvocationContext {
  const invocationId = randomUUID();
  const log = logger.child({ function: registration.name, invocationId });
  return new library.InvocationContext({
    invocationId,
    functionName: registration.name,
    triggerMetadata,
    logHandler: (level, ...args) => {
      const msg = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      if (level === 'error' || level === 'critical') log.error(msg);
      else if (level === 'warning') log.warn(msg);
      else log.info(msg);
    },
  });
}
