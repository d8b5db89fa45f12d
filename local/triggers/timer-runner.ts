import { Cron } from 'croner';
import { silentLogger, type Logger } from '../../shared/platform/logger';
import type { Registration } from '../functions-core';
import { invocationContext } from './invocation';

/**
 * Runs `timerTrigger` registrations on their NCRONTAB schedules (six fields, seconds first; croner
 * reads that form). `%SETTING%` schedules are resolved from the environment, as the host does.
 * A run never overlaps the previous one of the same timer; errors are logged.
 */
export function startTimers(opts: { registrations: readonly Registration[]; logger?: Logger }): {
  stop(): Promise<void>;
  names: string[];
} {
  const logger = opts.logger ?? silentLogger;
  const regs = opts.registrations.filter((r) => r.trigger.type === 'timerTrigger');
  const jobs: Cron[] = [];
  const running = new Set<Promise<void>>();

  for (const r of regs) {
    const raw = String(r.trigger.schedule ?? '');
    const schedule = raw.replace(/^%(.+)%$/, (_, name: string) => process.env[name] ?? '');
    let last: Date | undefined;
    const run = () => {
      const context = invocationContext(r, logger);
      const timer = {
        schedule: { adjustForDST: true },
        scheduleStatus: { last: last?.toISOString(), next: job.nextRun()?.toISOString(), lastUpdated: new Date().toISOString() },
        isPastDue: false,
      };
      last = new Date();
      const p = Promise.resolve()
        .then(() => r.handler(timer, context))
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
    if (r.trigger.runOnStartup) void run();
  }
  return {
    names: regs.map((r) => r.name),
    stop: async () => {
      for (const j of jobs) j.stop();
      await Promise.allSettled([...running]);
    },
  };
}
