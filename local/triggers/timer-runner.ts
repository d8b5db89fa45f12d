import { Cron } from 'croner';
import { silentLogger, type Logger } from '../../shared/platform/logger';
import { currentFunctionsCore, type FunctionsCoreShim, type Registration } from '../functions-core';
import { invocationRequest, invokeAsWorker } from '../worker/invoke';
import { logToLogger } from '../worker/log';
import { timerInvocation } from '../worker/trigger-data';

/**
 * Runs `timerTrigger` registrations on their NCRONTAB schedules (six fields, seconds first; croner
 * reads that form). `%SETTING%` schedules are resolved from the environment, as the host does.
 * A run never overlaps the previous one of the same timer; errors are logged. Each run is invoked
 * as the worker does it (local/worker/invoke.ts), the `TimerInfo` in the host's shape.
 * `runAtStart` names timers the local host also runs once when it starts: a local convenience, not
 * the registration's `runOnStartup` (which Microsoft recommends against in production, and the
 * registration contract test refuses).
 */
export function startTimers(opts: {
  registrations: readonly Registration[];
  logger?: Logger;
  core?: FunctionsCoreShim;
  runAtStart?: readonly string[];
}): {
  stop(): Promise<void>;
  names: string[];
} {
  const logger = opts.logger ?? silentLogger;
  const regs = opts.registrations.filter((r) => r.trigger.type === 'timerTrigger');
  const core = opts.core ?? currentFunctionsCore();
  if (regs.length > 0 && !core) throw new Error('No @azure/functions-core shim is installed: nothing can invoke the timers.');
  const jobs: Cron[] = [];
  const running = new Set<Promise<void>>();

  for (const r of regs) {
    const raw = String(r.trigger.schedule ?? '');
    const schedule = raw.replace(/^%(.+)%$/, (_, name: string) => process.env[name] ?? '');
    let last: Date | undefined;
    const run = () => {
      const now = new Date();
      const request = invocationRequest(
        r,
        timerInvocation({ isPastDue: false, ...(last ? { last } : {}), next: job.nextRun() ?? undefined, lastUpdated: now }),
      );
      last = now;
      const p = Promise.resolve()
        .then(() => invokeAsWorker(r, request, { core: core!, log: logToLogger(logger, r.name, request.invocationId) }))
        .then(() => undefined)
        .catch((err: unknown) => logger.error('timer function failed', { function: r.name, error: err }))
        .finally(() => running.delete(p));
      running.add(p);
      return p;
    };
    let job: Cron;
    try {
      job = new Cron(schedule, { protect: true, catch: true }, run);
    } catch (err) {
      throw new Error(`${r.name}: invalid schedule "${raw}": ${(err as Error).message}`);
    }
    jobs.push(job);
    if (r.trigger.runOnStartup || opts.runAtStart?.includes(r.name)) void run();
  }
  return {
    names: regs.map((r) => r.name),
    stop: async () => {
      for (const j of jobs) j.stop();
      await Promise.allSettled([...running]);
    },
  };
}
