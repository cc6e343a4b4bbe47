import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { Clock, TradingError } from '../shared';
import { InstrumentRegistry } from '../model';
import { ChainPoint, ChainVerification, SqliteEventStore } from './event-store';
import { StateProjection } from './projection';
import { ProjectionDump, dumpProjection, projectionBasis, restoreProjection } from './projection-dump';

/*
 * Why opening from a snapshot is safe (the design in one place).
 *
 * A snapshot is the projection's whole state after the event at `seq`, written in the log's own file
 * in one transaction (a crash leaves all of it or none), only once that event is committed, and only
 * from a state that was itself built from a verified log: a full replay, or an earlier snapshot that
 * passed the checks below plus a verified tail, plus the events recorded since through the ledger.
 * It carries the hash of the event at `seq` and a hash of its own over seq, that event hash, the
 * basis (instruments, default settings, the projection's code, the dump's format) and the state.
 *
 * On open, the newest snapshot is used only when (1) its own hash matches (it is intact), (2) its
 * basis is this system's (the same inputs would replay to the same state), (3) it reads back into a
 * projection with exactly this code's fields, and (4) the log holds its event at `seq` under the hash
 * it names, that row's content matching its hash. The tail after `seq` is then verified row by row
 * and replayed as a full open would, up to the chain head.
 *
 * What is left unchecked on the open's path is the chain from the first event to `seq`: a worker
 * thread verifies it right after the open. Until it answers, the system trades on a state that was
 * verified when it was written and is intact now (1), so an edit of an old row cannot have changed
 * it; what the check protects is the record itself. A break it finds is handled as a corrupted log:
 * trading halts (EventStoreCorrupted), an alert is raised, and the snapshots are dropped, so the next
 * open verifies the whole log on its path and refuses it as any corrupted log is refused; the log is
 * then rebuilt from the broker's books (rebuildLogFromBroker). A check that cannot run halts trading too.
 *
 * A snapshot that fails (1) or (3) tells nothing about the log: it is set aside (reported) and an
 * older one or a full replay used, which verifies everything the snapshot would have skipped. One that
 * fails (2) was written by another build or configuration: set aside, and the log replayed. One that
 * is intact and fails (4), naming an event the log does not hold (a seq past the head, another hash),
 * is a witness that the log once read otherwise: the open is refused as a broken chain is.
 */

/** Snapshots kept in the file: the newest and the one before, should the newest be damaged. */
export const SNAPSHOTS_KEPT = 2;
/** Events between snapshots by default: a tail this long replays in well under 100 ms. */
export const DEFAULT_SNAPSHOT_EVERY = 10_000;
/** On close, a snapshot is taken when at least this many events are past the last one; a shorter tail replays in milliseconds. */
export const DEFAULT_SNAPSHOT_ON_CLOSE_AFTER = 1_000;

export interface SnapshotOptions {
  /** Take a snapshot once this many events are past the last one (DEFAULT_SNAPSHOT_EVERY). */
  readonly every?: number;
  /** Take one on close when at least this many events are past the last one (DEFAULT_SNAPSHOT_ON_CLOSE_AFTER). */
  readonly onCloseAfter?: number;
}

/** A snapshot not used on open, and why. */
export interface SnapshotSetAside {
  readonly seq: number;
  readonly reason: 'damaged' | 'other basis' | 'unreadable';
  readonly problem: string;
}

/** How the projection was brought up to the log's head. */
export interface LogOpening {
  readonly from: 'snapshot' | 'full replay';
  /** The seq of the snapshot the state was restored from; 0 after a full replay. */
  readonly snapshotSeq: number;
  /** Events verified and replayed on the open's path (the tail after the snapshot, or the whole log). */
  readonly eventsReplayed: number;
  readonly setAside: readonly SnapshotSetAside[];
}

/** What the check of the chain before a snapshot found. */
export type PrefixVerdict =
  | { readonly status: 'verified'; readonly events: number }
  | { readonly status: 'corrupted'; readonly error: TradingError }
  /** The check could not run to its end (the worker failed): the chain is not known to be whole. */
  | { readonly status: 'failed'; readonly problem: string }
  /** The system closed before the check finished. */
  | { readonly status: 'stopped' };

interface SnapshotRow {
  seq: number;
  event_hash: string;
  basis: string;
  taken_at: string;
  hash: string;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS projection_snapshots (
  seq INTEGER PRIMARY KEY,
  event_hash TEXT NOT NULL,
  basis TEXT NOT NULL,
  taken_at TEXT NOT NULL,
  hash TEXT NOT NULL,
  -- Last: the columns before it are read without walking the state's overflow pages.
  state TEXT NOT NULL
)`;

export function snapshotHash(seq: number, eventHash: string, basis: string, takenAt: string, state: string): string {
  return createHash('sha256').update(`${seq}|${eventHash}|${basis}|${takenAt}|${state}`).digest('hex');
}

/** The snapshots in a log file, newest first, and a way to read each one's state; none when the file or table is not there or cannot be read. */
interface StoredSnapshots {
  readonly rows: readonly SnapshotRow[];
  state(seq: number): string | undefined;
  close(): void;
}

const NO_SNAPSHOTS: StoredSnapshots = { rows: [], state: () => undefined, close: () => undefined };

function readSnapshots(path: string): StoredSnapshots {
  const none = NO_SNAPSHOTS;
  if (!existsSync(path)) return none;
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch {
    // A file that cannot be read is the chain check's to report: opening without a snapshot gets there.
    return none;
  }
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'projection_snapshots'").get();
    if (!table) {
      db.close();
      return none;
    }
    const rows = db.prepare('SELECT seq, event_hash, basis, taken_at, hash FROM projection_snapshots ORDER BY seq DESC').all() as SnapshotRow[];
    const select = db.prepare('SELECT state FROM projection_snapshots WHERE seq = ?');
    return { rows, state: seq => (select.get(seq) as { state: string } | undefined)?.state, close: () => db.close() };
  } catch {
    db.close();
    return none;
  }
}

export interface OpenLogOptions {
  readonly instruments: InstrumentRegistry;
  readonly defaults?: Readonly<Record<string, string>>;
  /** Whether to open from a snapshot when there is a usable one (default true); off, the log is replayed in full. */
  readonly fromSnapshot?: boolean;
}

export interface OpenedLog {
  readonly store: SqliteEventStore;
  readonly state: StateProjection;
  readonly opening: LogOpening;
  /** The projection's basis (projectionBasis): what the snapshots taken of it are written under. */
  readonly basis: string;
  /** The check of the chain before the snapshot, running; null after a full replay (the whole chain was verified on the open's path). */
  readonly prefixCheck: PrefixCheck | null;
}

/**
 * Open a log and bring a projection up to its head: from the newest usable snapshot and the verified
 * tail after it, or by a full replay (see the design note above for which, and why that is safe).
 * A log that fails its check, or a snapshot that contradicts it, throws EventStoreCorrupted.
 */
export function openLog(path: string, clock: Clock, options: OpenLogOptions): OpenedLog {
  const { instruments, defaults } = options;
  const setAside: SnapshotSetAside[] = [];
  const basis = projectionBasis(instruments, defaults);
  const snapshots = options.fromSnapshot === false ? NO_SNAPSHOTS : readSnapshots(path);
  let restored: { state: StateProjection; from: ChainPoint } | null = null;
  try {
    for (const row of snapshots.rows) {
      const text = snapshots.state(row.seq) ?? '';
      if (snapshotHash(row.seq, row.event_hash, row.basis, row.taken_at, text) !== row.hash) {
        setAside.push({ seq: row.seq, reason: 'damaged', problem: 'its content does not match its hash' });
        continue;
      }
      if (row.basis !== basis) {
        setAside.push({ seq: row.seq, reason: 'other basis', problem: 'it was written with other instruments, default settings or projection code' });
        continue;
      }
      try {
        const state = restoreProjection(JSON.parse(text) as ProjectionDump, instruments, defaults);
        if (state.lastSeq !== row.seq) throw new TradingError('InvalidInput', `its state is of seq ${state.lastSeq}, not ${row.seq}`);
        restored = { state, from: { seq: row.seq, hash: row.event_hash } };
        break;
      } catch (error) {
        setAside.push({ seq: row.seq, reason: 'unreadable', problem: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    snapshots.close();
  }
  if (restored) {
    const { state, from } = restored;
    let tail = 0;
    const store = SqliteEventStore.openReplayingFrom(path, clock, from, event => {
      state.replay([event]);
      tail += 1;
    });
    return { store, state, basis, opening: { from: 'snapshot', snapshotSeq: from.seq, eventsReplayed: tail, setAside }, prefixCheck: new PrefixCheck(path, from) };
  }
  const state = new StateProjection(instruments, defaults);
  const store = SqliteEventStore.openReplaying(path, clock, event => state.replay([event]));
  return { store, state, basis, opening: { from: 'full replay', snapshotSeq: 0, eventsReplayed: store.length, setAside }, prefixCheck: null };
}

/**
 * The chain from the first event to a snapshot's, verified in a worker thread so the open does not
 * wait for it (one SHA-256 a row: seconds for a million events). `verdict` settles once.
 */
export class PrefixCheck {
  readonly verdict: Promise<PrefixVerdict>;
  private worker: Worker | null = null;
  private settle!: (verdict: PrefixVerdict) => void;

  constructor(
    readonly path: string,
    readonly through: ChainPoint,
  ) {
    const verdict = new Promise<PrefixVerdict>(resolve => {
      let settled = false;
      this.settle = v => {
        if (settled) return;
        settled = true;
        this.worker = null;
        resolve(v);
      };
    });
    this.verdict = verdict;
    try {
      this.worker = startPrefixWorker(path, through);
    } catch (error) {
      this.settle({ status: 'failed', problem: `the check of the chain could not start: ${error instanceof Error ? error.message : String(error)}` });
      return;
    }
    this.worker.once('message', (verification: ChainVerification) => this.settle(verification.ok ? { status: 'verified', events: verification.events } : { status: 'corrupted', error: this.corrupted(verification) }));
    this.worker.once('error', error => this.settle({ status: 'failed', problem: `the check of the chain failed: ${error.message}` }));
    this.worker.once('exit', code => this.settle({ status: 'failed', problem: `the check of the chain ended (exit code ${code}) without a verdict` }));
  }

  /** Stop the check (the system is closing): the verdict is 'stopped' unless it was already in. */
  stop(): void {
    const worker = this.worker;
    if (!worker) return;
    this.settle({ status: 'stopped' });
    void worker.terminate();
  }

  private corrupted(verification: Extract<ChainVerification, { ok: false }>): TradingError {
    const { path, through } = this;
    return new TradingError('EventStoreCorrupted', `event store ${path} is corrupted at seq ${verification.brokenAt}: ${verification.problem} (found by the check of the chain before the snapshot at seq ${through.seq})`, {
      path,
      brokenAt: verification.brokenAt,
      problem: verification.problem,
    });
  }
}

function startPrefixWorker(path: string, through: ChainPoint): Worker {
  // Resolved as a module is, so whoever bundles or transpiles the system finds the worker beside it.
  const entry = require.resolve('./prefix-check-worker');
  const workerData = { path, through };
  if (extname(entry) !== '.ts') return new Worker(entry, { workerData });
  // Run from the TypeScript sources: the worker registers the same loader (transpiling only) before its entry.
  const loader = JSON.stringify(require.resolve('ts-node'));
  const source = [
    `const tsNode = require(${loader});`,
    `if (!process[Symbol.for('ts-node.register.instance')]) tsNode.register({ transpileOnly: true, projectSearchDir: ${JSON.stringify(dirname(entry))} });`,
    `require(${JSON.stringify(entry)});`,
  ].join('\n');
  return new Worker(source, { eval: true, workerData, execArgv: [] });
}

/** A snapshot written. */
export interface SnapshotTaken {
  readonly seq: number;
  /** The size of its state, in characters of JSON. */
  readonly size: number;
}

/**
 * Takes snapshots of the projection into the log's file: every `every` events (asked after each
 * recorded event), on close, and on request; keeps the newest SNAPSHOTS_KEPT.
 */
export class ProjectionSnapshots {
  private readonly every: number;
  private readonly onCloseAfter: number;
  private lastSeq: number;
  /** The snapshots are to be dropped (the chain they skip is broken): none is taken again. */
  private dropping = false;

  constructor(
    private readonly store: SqliteEventStore,
    private readonly state: StateProjection,
    private readonly clock: Clock,
    /** projectionBasis of the state's instruments and defaults. */
    private readonly basis: string,
    options: SnapshotOptions & { readonly since: number },
  ) {
    this.every = options.every ?? DEFAULT_SNAPSHOT_EVERY;
    this.onCloseAfter = options.onCloseAfter ?? DEFAULT_SNAPSHOT_ON_CLOSE_AFTER;
    for (const [name, value] of [['every', this.every], ['onCloseAfter', this.onCloseAfter]] as const) {
      if (!(value >= 1)) throw new TradingError('InvalidInput', `snapshot ${name} must be at least 1 event, got ${value}`, { field: name });
    }
    this.lastSeq = options.since;
  }

  /** The seq of the newest snapshot written or opened from (0: none). */
  get newest(): number {
    return this.lastSeq;
  }

  takeIfDue(): SnapshotTaken | null {
    if (this.dropping) {
      this.dropAll();
      return null;
    }
    return this.state.lastSeq - this.lastSeq >= this.every ? this.take() : null;
  }

  takeOnClose(): SnapshotTaken | null {
    if (this.dropping) {
      this.dropAll();
      return null;
    }
    return this.state.lastSeq - this.lastSeq >= this.onCloseAfter ? this.take() : null;
  }

  /**
   * Snapshot the projection now, when it stands at the log's last committed event; null (nothing
   * written) while a transaction is open, when the store is closed, or once snapshots are dropped.
   */
  take(): SnapshotTaken | null {
    const seq = this.state.lastSeq;
    if (this.dropping || seq === 0 || seq === this.lastSeq || seq !== this.store.length) return null;
    const text = JSON.stringify(dumpProjection(this.state));
    const takenAt = this.clock.now().toISOString();
    const written = this.store.writeBeside(db => {
      db.exec(CREATE_TABLE);
      // The event's hash as committed, read in the snapshot's own transaction: the link is to the row on disk.
      const event = db.prepare('SELECT hash FROM events WHERE seq = ?').get(seq) as { hash: string } | undefined;
      if (!event) return false;
      db.prepare('INSERT OR REPLACE INTO projection_snapshots (seq, event_hash, basis, taken_at, hash, state) VALUES (?, ?, ?, ?, ?, ?)').run(
        seq,
        event.hash,
        this.basis,
        takenAt,
        snapshotHash(seq, event.hash, this.basis, takenAt, text),
        text,
      );
      db.prepare(`DELETE FROM projection_snapshots WHERE seq NOT IN (SELECT seq FROM projection_snapshots ORDER BY seq DESC LIMIT ${SNAPSHOTS_KEPT})`).run();
      return true;
    });
    if (!written) return null;
    this.lastSeq = seq;
    return { seq, size: text.length };
  }

  /**
   * Drop every snapshot and take no more (the chain they skip is broken), so the next open verifies
   * the whole log; false while a transaction is open, and tried again after the next event.
   */
  dropAll(): boolean {
    this.dropping = true;
    const dropped = this.store.writeBeside(db => {
      db.exec(CREATE_TABLE);
      db.exec('DELETE FROM projection_snapshots');
      return true;
    });
    return dropped === true;
  }
}
