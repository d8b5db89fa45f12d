/**
 * `npm run outbox -- republish|count` — the outbox's events since a point in time, counted or
 * published again (after a Service Bus failover, a data recovery; docs/operations.md, "Outbox").
 * Exit codes: 0 done, 1 failed, 2 bad arguments or a window the outbox cannot answer for.
 */
import { outboxCli } from './outbox-cli';

outboxCli(process.argv.slice(2)).then(
  ({ code, stdout, stderr }) => {
    process.stdout.write(stdout);
    process.stderr.write(stderr);
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`outbox failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
