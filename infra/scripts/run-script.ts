/**
 * The command-line entry every script of this folder shares: runs `main` with the arguments only when
 * the module is the script node was started with (a test or another script importing it runs
 * nothing), exits with the number `main` resolves to, and on a throw reports it with `report` (by
 * default the error as node prints it) and exits 1.
 */
import { pathToFileURL } from 'node:url';

export function runAsScript(
  moduleUrl: string,
  main: (argv: string[]) => Promise<number>,
  report: (err: unknown) => void = (err) => console.error(err),
): void {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? '').href) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      report(err);
      process.exit(1);
    },
  );
}

/** The message of a thrown value, for a one-line report. */
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
