import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A sandbox's state as one JSON file (`<dir>/state.json`), read at start and rewritten after every
 * change (temp file + rename, one write at a time), so a restarted local stack finds its envelopes,
 * tasks, records and tickets again. Small by nature: sandboxes hold what a developer clicked.
 */
export class JsonState<T> {
  private writing: Promise<void> = Promise.resolve();
  /** The write that has not started yet, if any: it will carry every change made until it starts. */
  private queued: Promise<void> | undefined;
  readonly value: T;

  private constructor(
    private readonly file: string,
    value: T,
  ) {
    this.value = value;
  }

  static async open<T>(dir: string, initial: () => T): Promise<JsonState<T>> {
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'state.json');
    const value = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : initial();
    return new JsonState(file, value);
  }

  /**
   * Writes the current value; resolves when it is on disk. Writes coalesce: a change made while a
   * write waits for the one before it is carried by that waiting write, so a burst of changes costs
   * a few writes of the whole state, not one each.
   */
  save(): Promise<void> {
    if (this.queued) return this.queued;
    const write = this.writing.then(async () => {
      // From here on a change needs the next write: this one's snapshot is taken now.
      this.queued = undefined;
      const snapshot = JSON.stringify(this.value);
      await writeFile(`${this.file}.tmp`, snapshot, 'utf8');
      await rename(`${this.file}.tmp`, this.file);
    });
    this.queued = write;
    // A failed write fails its callers, not every later one.
    this.writing = write.catch(() => undefined);
    return write;
  }
}
