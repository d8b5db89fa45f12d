import type { Logger } from '../../shared/platform/logger';
import type { CoreLogEntry } from '../functions-core';

/** An invocation's log lines (after the log hooks) into the local runtime's structured logger. */
export function logToLogger(logger: Logger, functionName: string, invocationId: string): (entry: CoreLogEntry) => void {
  const log = logger.child({ function: functionName, invocationId });
  return (entry) => {
    if (entry.level === 'error' || entry.level === 'critical') log.error(entry.message);
    else if (entry.level === 'warning') log.warn(entry.message);
    else if (entry.category === 'user' || entry.level === 'information') log.info(entry.message);
  };
}
