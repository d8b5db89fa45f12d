import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The write-ahead journal of the embedded Cosmos DB: what makes an answered write survive a crash.
 *
 * Files under `dir`:
 * - `journal.log`: one JSON line per committed transaction, `{"lsn":N,"at":ms,"c":[change, ...]}`.
 *   A transaction (one request, one transactional batch, one TTL sweep) is one line, so it is
 *   replayed all or nothing. Lines carry the RESULTING state (whole documents with `_rid`, `_etag`,
 *   `_ts`), not the requests, so replay restores exactly what clients saw, ETags included.
 * - `snapshot.jsonl`: the whole state at some LSN, `{"snapshot":1,"lsn":N}`, then one `{"c":change}`
 *   line per resource, then `{"end":true,"count":K}`. Written to a temporary file, fsync'ed, renamed
 *   over the old one and the directory fsync'ed, so a crash leaves either the old or the new one.
 *
 * Rules that make it correct:
 * - `append` is synchronous and called right after the in-memory change, in the same tick, so the
 *   journal order is the order in which changes were applied and nothing can slip in between.
 * - A caller answers only after `waitDurable(lsn)` resolved, i.e. after the line (with its '\n')
 *   was written and fdatasync'ed. Hence every acknowledged write is on disk, and a line that is
 *   incomplete on disk was never acknowledged: dropping it at recovery loses nothing promised.
 * - Group commit: while one write+fdatasync runs, new lines queue up and the next round writes
 *   them all with a single fdatasync. Ordering is kept because there is only one writer loop.
 * - Compaction writes a snapshot, then truncates the journal. A crash between the two leaves a
 *   journal whose entries are all <= the snapshot's LSN; recovery skips those by LSN.
 * - A journal write failure is fatal for the journal: the memory state is then ahead of the disk,
 *   so every waiter is rejected and every later append refused (the server answers 503).
 */
export const JOURNAL_FILE = 'journal.log';
export const SNAPSHOT_FILE = 'snapshot.jsonl';
const SNAPSHOT_TEMP_FILE = 'snapshot.jsonl.tmp';
const DEFAULT_COMPACT_BYTES = 64 * 1024 * 1024;
/** Snapshot lines are written in chunks of about this size. */
const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

export interface JournalEntry<C> {
  readonly lsn: number;
  readonly at: number;
  readonly c: readonly C[];
}

export interface JournalOptions<C> {
  readonly dir: string;
  /** Applies one recovered change (snapshot records first, then journal entries in LSN order). */
  apply(change: C, lsn: number): void;
  /** Every record of the current in-memory state. Must be consumable synchronously. */
  snapshot(): Iterable<C>;
  /** Compact when the journal grows past this many bytes (default 64 MiB). */
  readonly compactBytes?: number;
}

export interface RecoveryReport {
  /** LSN of the snapshot loaded (0: none). */
  readonly snapshotLsn: number;
  /** Journal entries replayed on top of the snapshot. */
  readonly replayed: number;
  /** Bytes of an incomplete last line that were discarded (never acknowledged). */
  readonly tornBytes: number;
  readonly lastLsn: number;
}

interface Waiter {
  readonly lsn: number;
  resolve(): void;
  reject(err: Error): void;
}

export class Journal<C> {
  private appendedLsn: number;
  private durable: number;
  private size = 0;
  private pending: Buffer[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  private failed: Error | undefined;
  private closed = false;

  private constructor(
    private readonly opts: JournalOptions<C>,
    private readonly fh: FileHandle,
    lastLsn: number,
    readonly recovery: RecoveryReport,
  ) {
    this.appendedLsn = lastLsn;
    this.durable = lastLsn;
  }

  /** Recovers the state (snapshot + journal) through `opts.apply`, compacts, and opens for appends. */
  static async open<C>(opts: JournalOptions<C>): Promise<Journal<C>> {
    await mkdir(opts.dir, { recursive: true });
    // A temporary snapshot is a compaction that did not finish: the real one is still authoritative.
    await rm(join(opts.dir, SNAPSHOT_TEMP_FILE), { force: true });
    const snapshotLsn = await loadSnapshot(join(opts.dir, SNAPSHOT_FILE), opts.apply);
    const replay = await replayJournal(join(opts.dir, JOURNAL_FILE), snapshotLsn, opts.apply);
    const fh = await open(join(opts.dir, JOURNAL_FILE), 'a');
    const report: RecoveryReport = {
      snapshotLsn,
      replayed: replay.replayed,
      tornBytes: replay.tornBytes,
      lastLsn: replay.lastLsn,
    };
    const journal = new Journal(opts, fh, replay.lastLsn, report);
    try {
      // Start from a fresh snapshot and an empty journal: recovery cost stays bounded by the state
      // size, and a torn tail is cut off before anything is appended after it.
      if (replay.fileBytes > 0) await journal.compact();
    } catch (err) {
      await fh.close();
      throw err;
    }
    return journal;
  }

  /** LSN of the last appended entry (applied in memory, maybe not yet on disk). */
  get lastLsn(): number {
    return this.appendedLsn;
  }

  /** LSN up to which everything is on disk. */
  get durableLsn(): number {
    return this.durable;
  }

  /** Set once a write or fsync failed; the journal then refuses everything. */
  get failure(): Error | undefined {
    return this.failed;
  }

  /** The LSN the next `append` will get, so a transaction can stamp `_lsn` before it commits. */
  nextLsn(): number {
    return this.appendedLsn + 1;
  }

  /**
   * Queues one transaction's changes and returns its LSN. Synchronous on purpose (see the file
   * comment); the caller must `waitDurable` before acknowledging anything.
   */
  append(changes: readonly C[]): number {
    this.assertWritable();
    const lsn = this.appendedLsn + 1;
    const entry: JournalEntry<C> = { lsn, at: Date.now(), c: changes };
    // Serialized now: the objects may change after this tick, the journal must hold this state.
    this.pending.push(Buffer.from(JSON.stringify(entry) + '\n', 'utf8'));
    this.appendedLsn = lsn;
    this.scheduleFlush();
    return lsn;
  }

  /** Resolves once everything up to `lsn` is on disk; rejects if the journal failed. */
  waitDurable(lsn: number): Promise<void> {
    if (lsn <= this.durable) return Promise.resolve();
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => this.waiters.push({ lsn, resolve, reject }));
  }

  assertWritable(): void {
    if (this.failed) throw this.failed;
    if (this.closed) throw new Error('the journal is closed');
  }

  /** Writes out what is queued and closes the file. Later appends throw. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.fh.close();
  }

  private scheduleFlush(): void {
    this.flushing ??= this.flushLoop().finally(() => {
      this.flushing = undefined;
      // An append that raced with the loop's last check is picked up by a new loop.
      if (this.pending.length > 0 && !this.failed) this.scheduleFlush();
    });
  }

  private async flushLoop(): Promise<void> {
    // Yield once so that requests handled in the same event-loop turn share the first fsync.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.pending.length > 0 && !this.failed) {
      const batch = this.pending;
      const upTo = this.appendedLsn;
      this.pending = [];
      try {
        const bytes = Buffer.concat(batch);
        await writeFully(this.fh, bytes);
        // fdatasync: the data and the file size; the journal needs nothing else to be readable.
        await this.fh.datasync();
        this.size += bytes.length;
      } catch (err) {
        this.fail(err);
        return;
      }
      this.markDurable(upTo);
      if (this.size >= (this.opts.compactBytes ?? DEFAULT_COMPACT_BYTES)) {
        try {
          await this.compact();
        } catch (err) {
          this.fail(err);
          return;
        }
      }
    }
  }

  /**
   * Snapshot of the state as of `lastLsn`, then an empty journal. Runs inside the single writer
   * loop (or before the journal is used), so no journal write happens meanwhile. The state is
   * serialized synchronously, so it is one consistent point in time; entries appended while the
   * snapshot is being written have higher LSNs and stay queued for the new, empty journal.
   */
  private async compact(): Promise<void> {
    const lsn = this.appendedLsn;
    const covered = this.pending.length;
    const chunks = serializeSnapshot(lsn, this.opts.snapshot());
    await writeSnapshotAtomically(this.opts.dir, chunks);
    // From here on the snapshot holds everything up to `lsn`; the journal's content is redundant.
    await this.fh.truncate(0);
    await this.fh.sync();
    this.size = 0;
    // Queued entries up to `lsn` are in the snapshot: they must not be written again.
    this.pending.splice(0, covered);
    this.markDurable(lsn);
  }

  private markDurable(lsn: number): void {
    if (lsn > this.durable) this.durable = lsn;
    const ready = this.waiters.filter((w) => w.lsn <= this.durable);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.lsn > this.durable);
    for (const w of ready) w.resolve();
  }

  private fail(err: unknown): void {
    this.failed = new Error(`journal write failed: ${err instanceof Error ? err.message : String(err)}`);
    this.pending = [];
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(this.failed);
  }
}

async function writeFully(fh: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

/** Serializes synchronously into ~1 MiB strings: a consistent cut of the state, cheap to write. */
function serializeSnapshot<C>(lsn: number, records: Iterable<C>): string[] {
  const chunks: string[] = [];
  let current = JSON.stringify({ snapshot: 1, lsn, at: Date.now() }) + '\n';
  let count = 0;
  for (const record of records) {
    current += JSON.stringify({ c: record }) + '\n';
    count++;
    if (current.length >= SNAPSHOT_CHUNK_BYTES) {
      chunks.push(current);
      current = '';
    }
  }
  // The end marker proves the file is complete (a snapshot without it is refused).
  chunks.push(current + JSON.stringify({ end: true, count }) + '\n');
  return chunks;
}

async function writeSnapshotAtomically(dir: string, chunks: readonly string[]): Promise<void> {
  const temp = join(dir, SNAPSHOT_TEMP_FILE);
  const fh = await open(temp, 'w');
  try {
    for (const chunk of chunks) await writeFully(fh, Buffer.from(chunk, 'utf8'));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(temp, join(dir, SNAPSHOT_FILE));
  // The rename is durable only once the directory entry is.
  await fsyncDirectory(dir);
}

async function fsyncDirectory(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    // Windows cannot open or fsync a directory; there the rename is as durable as it gets.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw err;
  } finally {
    await fh?.close();
  }
}

/** Loads `snapshot.jsonl` (if any) through `apply`; returns its LSN (0 without a snapshot). */
async function loadSnapshot<C>(path: string, apply: (change: C, lsn: number) => void): Promise<number> {
  const input = createReadStream(path);
  const opened = await new Promise<boolean>((resolve, reject) => {
    input.once('open', () => resolve(true));
    input.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolve(false) : reject(err)));
  });
  if (!opened) return 0;
  let lsn: number | undefined;
  let count = 0;
  let complete = false;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (line === '') continue;
    const record = JSON.parse(line) as { snapshot?: number; lsn?: number; c?: C; end?: boolean; count?: number };
    if (lsn === undefined) {
      if (record.snapshot !== 1 || typeof record.lsn !== 'number')
        throw new Error(`${path}: not a snapshot (version ${record.snapshot})`);
      lsn = record.lsn;
    } else if (record.end) {
      complete = record.count === count;
      break;
    } else {
      apply(record.c as C, lsn);
      count++;
    }
  }
  input.destroy();
  // Renamed into place only after fsync, so an incomplete snapshot means damage, not a crash.
  if (lsn === undefined || !complete) throw new Error(`${path} is incomplete or damaged; refusing to start`);
  return lsn;
}

interface ReplayResult {
  readonly lastLsn: number;
  readonly replayed: number;
  readonly tornBytes: number;
  readonly fileBytes: number;
}

/**
 * Replays `journal.log` after `afterLsn`. The last line may be torn (a crash during the write of
 * an entry that was therefore never acknowledged): it is dropped. A damaged line followed by a
 * valid entry is real corruption of acknowledged data: recovery stops with an error instead of
 * silently losing writes.
 */
async function replayJournal<C>(path: string, afterLsn: number, apply: (change: C, lsn: number) => void): Promise<ReplayResult> {
  const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  });
  let lastLsn = afterLsn;
  let replayed = 0;
  let offset = 0;
  while (offset < bytes.length) {
    const newline = bytes.indexOf(0x0a, offset);
    const entry = newline === -1 ? undefined : parseEntry<C>(bytes.subarray(offset, newline));
    if (!entry || (entry.lsn > afterLsn && entry.lsn !== lastLsn + 1)) {
      assertNothingValidAfter(bytes, newline === -1 ? bytes.length : newline + 1, path, offset);
      return { lastLsn, replayed, tornBytes: bytes.length - offset, fileBytes: bytes.length };
    }
    // Entries up to the snapshot's LSN are already in it (a crash between snapshot and truncate).
    if (entry.lsn > afterLsn) {
      for (const change of entry.c) apply(change, entry.lsn);
      lastLsn = entry.lsn;
      replayed++;
    }
    offset = newline + 1;
  }
  return { lastLsn, replayed, tornBytes: 0, fileBytes: bytes.length };
}

function parseEntry<C>(line: Buffer): JournalEntry<C> | undefined {
  try {
    const entry = JSON.parse(line.toString('utf8')) as JournalEntry<C>;
    return typeof entry?.lsn === 'number' && Array.isArray(entry.c) ? entry : undefined;
  } catch {
    return undefined;
  }
}

function assertNothingValidAfter(bytes: Buffer, from: number, path: string, badOffset: number): void {
  let offset = from;
  while (offset < bytes.length) {
    const newline = bytes.indexOf(0x0a, offset);
    if (newline === -1) return;
    if (parseEntry(bytes.subarray(offset, newline))) {
      throw new Error(`${path} is damaged at byte ${badOffset} (valid entries follow); refusing to start`);
    }
    offset = newline + 1;
  }
}
