import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Clock, TradingError } from '../shared';
import { DomainEvent, StoredEvent } from './events';

export const GENESIS_HASH = '0'.repeat(64);

interface EventRow {
  seq: number;
  type: string;
  at: string;
  payload: string;
  prev_hash: string;
  hash: string;
}

export function eventHash(prevHash: string, seq: number, type: string, at: string, payload: string): string {
  return createHash('sha256').update(`${prevHash}|${seq}|${type}|${at}|${payload}`).digest('hex');
}

export type ChainVerification = { ok: true; events: number } | { ok: false; events: number; brokenAt: number; problem: string };

/** A log as read without writing to it: whether its chain verifies, and the events before its first bad sequence number. */
export interface VerifiedPrefix {
  readonly verification: ChainVerification;
  readonly events: StoredEvent[];
}

/** SQLite's own words for a file whose pages cannot be read: the log is damaged from where reading stopped. */
const DAMAGED_FILE_CODES = /^SQLITE_(CORRUPT|NOTADB)/;

function isDamagedFile(error: unknown): boolean {
  return error instanceof Error && DAMAGED_FILE_CODES.test(String((error as { code?: unknown }).code ?? ''));
}

/** An event of the chain by its sequence number and hash: where a walk starts after, or must end on. */
export interface ChainPoint {
  readonly seq: number;
  readonly hash: string;
}

/**
 * Which part of the chain a walk covers: from the start (or after `from`, whose own row is checked
 * first) to the end and the head, or only up to `through`, which must be the event it names.
 */
interface ChainRange {
  readonly from?: ChainPoint;
  readonly through?: ChainPoint;
}

/**
 * Walk the chain in sequence order: the first row out of sequence, off its predecessor's hash or
 * not matching its own hash breaks it; so does a head that says the log went on past its last row.
 * onVerified hears of each row that verified, in order.
 */
function verifyChain(db: Database.Database, onVerified: (row: EventRow) => void = () => undefined, range: ChainRange = {}): ChainVerification {
  const { from, through } = range;
  let expectedPrev = from?.hash ?? GENESIS_HASH;
  let expectedSeq = (from?.seq ?? 0) + 1;
  let count = from?.seq ?? 0;
  try {
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(t => t.name));
    if (tables.size === 0 && !from) return { ok: true, events: 0 };
    if (!tables.has('events')) return { ok: false, events: 0, brokenAt: 1, problem: `not an event log: it holds the tables ${[...tables].sort().join(', ')}` };
    if (from) {
      const start = db.prepare('SELECT seq, type, at, payload, prev_hash, hash FROM events WHERE seq = ?').get(from.seq) as EventRow | undefined;
      const last = (db.prepare('SELECT MAX(seq) AS seq FROM events').get() as { seq: number | null }).seq ?? 0;
      if (!start) return { ok: false, events: 0, brokenAt: from.seq, problem: `the log holds no event at seq ${from.seq} (it ends at seq ${last}), yet a state was kept of it: events are missing` };
      if (start.hash !== from.hash) return { ok: false, events: 0, brokenAt: from.seq, problem: `the event at seq ${from.seq} is not the one a state was kept of: its hash differs` };
      if (eventHash(start.prev_hash, start.seq, start.type, start.at, start.payload) !== start.hash) return { ok: false, events: 0, brokenAt: from.seq, problem: 'content does not match its hash' };
    }
    const rows = through
      ? db.prepare('SELECT seq, type, at, payload, prev_hash, hash FROM events WHERE seq > ? AND seq <= ? ORDER BY seq').iterate(count, through.seq)
      : db.prepare('SELECT seq, type, at, payload, prev_hash, hash FROM events WHERE seq > ? ORDER BY seq').iterate(count);
    for (const row of rows as IterableIterator<EventRow>) {
      if (row.seq !== expectedSeq) return { ok: false, events: count, brokenAt: expectedSeq, problem: `sequence gap: expected ${expectedSeq}, found ${row.seq}` };
      if (row.prev_hash !== expectedPrev) return { ok: false, events: count, brokenAt: row.seq, problem: 'previous-hash link broken' };
      if (eventHash(row.prev_hash, row.seq, row.type, row.at, row.payload) !== row.hash) {
        return { ok: false, events: count, brokenAt: row.seq, problem: 'content does not match its hash' };
      }
      onVerified(row);
      expectedPrev = row.hash;
      expectedSeq += 1;
      count += 1;
    }
    if (through) {
      if (count !== through.seq) return { ok: false, events: count, brokenAt: count + 1, problem: `the log ends at seq ${count}, before seq ${through.seq}` };
      if (expectedPrev !== through.hash) return { ok: false, events: count, brokenAt: through.seq, problem: `the chain does not lead to the event at seq ${through.seq} a state was kept of` };
      return { ok: true, events: count };
    }
    const head = tables.has('chain_head') ? (db.prepare('SELECT seq, hash FROM chain_head WHERE id = 1').get() as { seq: number; hash: string } | undefined) : undefined;
    if (head && (head.seq !== count || head.hash !== expectedPrev)) {
      return { ok: false, events: count, brokenAt: count + 1, problem: `log ends at seq ${count} but its head says ${head.seq}: events are missing from the end` };
    }
    if (!head && count > 0) return { ok: false, events: count, brokenAt: count, problem: 'the chain head is missing' };
    return { ok: true, events: count };
  } catch (error) {
    if (!isDamagedFile(error)) throw error;
    return { ok: false, events: count, brokenAt: expectedSeq, problem: `the database file is damaged: ${(error as Error).message}` };
  }
}

function corrupted(path: string, verification: Extract<ChainVerification, { ok: false }>): TradingError {
  return new TradingError('EventStoreCorrupted', `event store ${path} is corrupted at seq ${verification.brokenAt}: ${verification.problem}`, {
    path,
    brokenAt: verification.brokenAt,
    problem: verification.problem,
  });
}

/** Read a log through a read-only connection: nothing is written to it (no checkpoint of its write-ahead file, no table created). */
function readOnly<T>(path: string, read: (db: Database.Database) => T, damaged: (problem: string) => T): T {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    if (isDamagedFile(error)) return damaged(`the file is not a readable database: ${(error as Error).message}`);
    throw error;
  }
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/**
 * Append-only event log on SQLite (WAL, synchronous FULL: an acknowledged append survives a crash).
 * Each event carries a gap-free sequence number and the hash of its predecessor, so a gap, an edit
 * or a deletion is detected when the log is opened.
 */
export class SqliteEventStore {
  private readonly db: Database.Database;
  private readonly insert: (seq: number, type: string, at: string, payload: string, prevHash: string, hash: string) => void;
  /** Inside a batch: the row alone, the head moved once when the batch commits. */
  private readonly insertInBatch: (seq: number, type: string, at: string, payload: string, prevHash: string, hash: string) => void;
  private readonly moveHead: () => void;
  /** Rows appended in the open batch since the head last moved. */
  private headBehind = false;
  private lastSeq = 0;
  private lastHash = GENESIS_HASH;
  private closed = false;
  private inBatch = false;

  private constructor(readonly path: string, private readonly clock: Clock) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS events (
      seq INTEGER PRIMARY KEY,
      type TEXT NOT NULL,
      at TEXT NOT NULL,
      payload TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS chain_head (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      seq INTEGER NOT NULL,
      hash TEXT NOT NULL
    )`);
    const insertEvent = this.db.prepare('INSERT INTO events (seq, type, at, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)');
    // The head is written in the same transaction as the event, so a log cut short at its end is detected too.
    const moveHead = this.db.prepare('INSERT INTO chain_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash');
    this.insert = this.db.transaction((seq: number, type: string, at: string, payload: string, prevHash: string, hash: string) => {
      insertEvent.run(seq, type, at, payload, prevHash, hash);
      moveHead.run(seq, hash);
    });
    this.insertInBatch = (seq, type, at, payload, prevHash, hash) => {
      insertEvent.run(seq, type, at, payload, prevHash, hash);
      this.headBehind = true;
    };
    this.moveHead = () => {
      if (!this.headBehind) return;
      moveHead.run(this.lastSeq, this.lastHash);
      this.headBehind = false;
    };
  }

  /**
   * Open (or create) a log; a log whose chain does not verify is refused with EventStoreCorrupted.
   * It is checked read-only first, so a refused log is left exactly as it was found.
   */
  static open(path: string, clock: Clock): SqliteEventStore {
    return SqliteEventStore.openChecked(path, clock, () => undefined).store;
  }

  /**
   * Open a log and hand each of its events to onEvent, in one pass: each row is verified, read and
   * handed on as the read-only check walks the chain, and none is kept, so a system opening on its
   * log verifies and replays it once, in memory that does not grow with the log. A chain that breaks
   * part of the way throws EventStoreCorrupted after onEvent has seen the rows before the break:
   * whatever it built from them must be dropped.
   */
  static openReplaying(path: string, clock: Clock, onEvent: (event: StoredEvent) => void): SqliteEventStore {
    return SqliteEventStore.openChecked(path, clock, row => onEvent(toStoredEvent(row))).store;
  }

  /**
   * Open a log whose state up to `from` is already known (restored from a snapshot of the projection)
   * and hand on only the events after it, each verified as in openReplaying; the event at `from` must
   * be in the log under its hash, or the open is refused with EventStoreCorrupted. The rows up to
   * `from` are not read: inspectPrefix checks them, off the open's path.
   */
  static openReplayingFrom(path: string, clock: Clock, from: ChainPoint, onEvent: (event: StoredEvent) => void): SqliteEventStore {
    if (!existsSync(path)) throw corrupted(path, { ok: false, events: 0, brokenAt: from.seq, problem: `the log is not there, yet a state was kept of its event at seq ${from.seq}` });
    return SqliteEventStore.openChecked(path, clock, row => onEvent(toStoredEvent(row)), from).store;
  }

  private static openChecked(path: string, clock: Clock, onVerified: (row: EventRow) => void, from?: ChainPoint): { store: SqliteEventStore } {
    let verified: { events: number; head: string } = { events: 0, head: GENESIS_HASH };
    if (existsSync(path)) {
      let head = from?.hash ?? GENESIS_HASH;
      const checked = readOnly(
        path,
        db =>
          verifyChain(
            db,
            row => {
              head = row.hash;
              onVerified(row);
            },
            { from },
          ),
        problem => ({ ok: false, events: 0, brokenAt: 1, problem }) as ChainVerification,
      );
      if (!checked.ok) throw corrupted(path, checked);
      verified = { events: checked.events, head };
    } else if (existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0) {
      // A new log would take the orphaned write-ahead file's pages as its own.
      throw corrupted(path, { ok: false, events: 0, brokenAt: 1, problem: `its write-ahead file ${path}-wal is there without the log` });
    }
    const store = new SqliteEventStore(path, clock);
    // Opened for writing, the log must still end where the check left it: the same last event, under the same hash.
    const last = store.db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    const endsAt = last?.seq ?? 0;
    if (endsAt !== verified.events || (last !== undefined && last.hash !== verified.head)) {
      store.close();
      throw corrupted(path, { ok: false, events: verified.events, brokenAt: Math.min(endsAt, verified.events) + 1, problem: `the log changed while it was opened: checked to seq ${verified.events}, it now ends at seq ${endsAt}` });
    }
    if (last) {
      store.lastSeq = last.seq;
      store.lastHash = last.hash;
    }
    return { store };
  }

  get length(): number {
    return this.lastSeq;
  }

  append(event: DomainEvent): StoredEvent {
    if (this.closed) throw new TradingError('EventStoreClosed', `event store ${this.path} is closed`);
    const seq = this.lastSeq + 1;
    const at = this.clock.now().toISOString();
    const payload = JSON.stringify(event.payload);
    const hash = eventHash(this.lastHash, seq, event.type, at, payload);
    if (this.inBatch) this.insertInBatch(seq, event.type, at, payload, this.lastHash, hash);
    else this.insert(seq, event.type, at, payload, this.lastHash, hash);
    const stored = { ...event, seq, at, prevHash: this.lastHash, hash } as StoredEvent;
    this.lastSeq = seq;
    this.lastHash = hash;
    return stored;
  }

  /**
   * Append what fn appends in one transaction: one sync to disk for all of it. The caller has
   * applied each event as it went, so what fn appended is committed even when fn throws. A commit
   * that fails leaves the projection ahead of the log: the store closes, every later write fails,
   * and the system must be opened again on the log (which rebuilds the projection from it).
   */
  batch<T>(fn: () => T): T {
    if (this.closed) throw new TradingError('EventStoreClosed', `event store ${this.path} is closed`);
    if (this.db.inTransaction) return fn();
    this.begin();
    let failure: { error: unknown } | null = null;
    try {
      return fn();
    } catch (error) {
      failure = { error };
      throw error;
    } finally {
      // eslint-disable-next-line no-unsafe-finally
      this.commit(failure?.error);
    }
  }

  /** Open a transaction that every append joins until commit(): what batch does, for a caller whose transaction outlives one synchronous step. */
  begin(): void {
    if (this.closed) throw new TradingError('EventStoreClosed', `event store ${this.path} is closed`);
    this.db.exec('BEGIN IMMEDIATE');
    this.inBatch = true;
  }

  /** Commit the transaction begin() opened: one sync to disk. A commit that fails closes the store, as in batch. */
  commit(failure?: unknown): void {
    this.inBatch = false;
    if (this.closed) throw new TradingError('EventStoreClosed', `event store ${this.path} closed before its open transaction committed`);
    try {
      // The head moves in the same transaction as the rows: a log cut short at its end is still detected.
      this.moveHead();
      this.db.exec('COMMIT');
    } catch (error) {
      this.close();
      const why = failure !== undefined ? `; the batch itself had failed: ${String((failure as Error)?.message ?? failure)}` : '';
      throw new TradingError('EventStoreClosed', `event store ${this.path} failed to commit a batch and closed: open the system again on the log${why}`, {}, { cause: error });
    }
  }

  read(fromSeq = 1): StoredEvent[] {
    const rows = this.db.prepare('SELECT seq, type, at, payload, prev_hash, hash FROM events WHERE seq >= ? ORDER BY seq').all(fromSeq) as EventRow[];
    return rows.map(toStoredEvent);
  }

  verify(): ChainVerification {
    return verifyChain(this.db);
  }

  /** Verify a log on disk without opening it for writing. */
  static inspect(path: string): ChainVerification {
    return readOnly(path, db => verifyChain(db), problem => ({ ok: false, events: 0, brokenAt: 1, problem }));
  }

  /** Verify a log on disk from its first event up to `through`, which must be the event it names; read-only. */
  static inspectPrefix(path: string, through: ChainPoint): ChainVerification {
    return readOnly(path, db => verifyChain(db, undefined, { through }), problem => ({ ok: false, events: 0, brokenAt: 1, problem }));
  }

  /** The events of a log on disk before its first bad sequence number (all of them when it verifies), read without opening it for writing. */
  static readVerifiedPrefix(path: string): VerifiedPrefix {
    return readOnly(
      path,
      db => {
        const rows: EventRow[] = [];
        const verification = verifyChain(db, row => rows.push(row));
        const readable = verification.ok ? rows : rows.filter(row => row.seq < verification.brokenAt);
        return { verification, events: readable.map(toStoredEvent) };
      },
      problem => ({ verification: { ok: false, events: 0, brokenAt: 1, problem }, events: [] }),
    );
  }

  /**
   * Write beside the chain (snapshots of the projection) on the log's own connection, in a
   * transaction of its own and never inside an append's or a batch's, so what is written beside can
   * neither join nor undo events. Null, with nothing written, while a transaction is open or once
   * the store is closed.
   */
  writeBeside<T>(write: (db: Database.Database) => T): T | null {
    if (this.closed || this.db.inTransaction) return null;
    return this.db.transaction(write).immediate(this.db);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    seq: row.seq,
    type: row.type,
    at: row.at,
    payload: JSON.parse(row.payload) as unknown,
    prevHash: row.prev_hash,
    hash: row.hash,
  } as StoredEvent;
}
