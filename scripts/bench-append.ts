/**
 * The event store's append rate against its floor: raw better-sqlite3 inserts of the same rows into
 * the same table shape (WAL, synchronous FULL, one transaction a row), alternated in rounds with the
 * store's own appends (chained by hash, the head moved in the same transaction) so both meet the
 * same disk; and the store with one command's events in one transaction, three at a time, as place
 * writes its request, risk decision and submission (group commit). Goal: the store at least half
 * the raw rate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { VirtualClock } from '../domain/shared';
import { DomainEvent, SqliteEventStore } from '../domain/state';
import { BenchFigure, valueFigure } from './bench-figures';

const ROUNDS = 10;
const PAYLOAD = { clientOrderId: 'CO-000001', symbol: 'BTC-PERP', side: 'buy', orderType: 'market', quantity: '0.01', reduceOnly: false };
const EVENT = { type: 'OrderRequested', payload: PAYLOAD } as unknown as DomainEvent;

export async function appendBenchmark(appends: number): Promise<{ figures: BenchFigure[]; lines: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'trading-append-bench-'));
  const db = new Database(join(dir, 'raw.sqlite'));
  const store = SqliteEventStore.open(join(dir, 'store.sqlite'), new VirtualClock());
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, at TEXT NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO events (seq, type, at, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)');
    const one = db.transaction((seq: number) => insert.run(seq, 'OrderRequested', new Date().toISOString(), JSON.stringify(PAYLOAD), '0'.repeat(64), '1'.repeat(64)));
    const per = Math.max(3, Math.floor(appends / ROUNDS / 3) * 3);
    let rawMs = 0;
    let storeMs = 0;
    let groupedMs = 0;
    let seq = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      let started = performance.now();
      for (let i = 0; i < per; i += 1) one((seq += 1));
      rawMs += performance.now() - started;
      started = performance.now();
      for (let i = 0; i < per; i += 1) store.append(EVENT);
      storeMs += performance.now() - started;
      started = performance.now();
      for (let i = 0; i < per; i += 3) store.batch(() => [0, 1, 2].forEach(() => store.append(EVENT)));
      groupedMs += performance.now() - started;
    }
    const rows = ROUNDS * per;
    const raw = rows / (rawMs / 1000);
    const alone = rows / (storeMs / 1000);
    const grouped = rows / (groupedMs / 1000);
    const rate = (value: number) => `${Math.round(value).toLocaleString('en-US')} a second`;
    return {
      figures: [
        valueFigure('raw better-sqlite3 inserts, one transaction a row', 'rows/s', rows, raw),
        { ...valueFigure('event store appends, one transaction an event', 'events/s', rows, alone, { target: raw / 2 }), floor: Math.round(raw), ratio: Math.round((alone / raw) * 100) / 100 },
        { ...valueFigure('event store appends, three events a transaction', 'events/s', rows, grouped, { target: raw / 2 }), floor: Math.round(raw), ratio: Math.round((grouped / raw) * 100) / 100 },
      ],
      lines: [
        `event store appends (SQLite WAL, synchronous FULL; ${rows.toLocaleString('en-US')} rows each way, alternated in ${ROUNDS} rounds; goal at least half the raw rate)`,
        `  raw better-sqlite3 inserts, one transaction a row   ${rate(raw)}`,
        `  event store, one transaction an event            ${rate(alone)} (${(alone / raw).toFixed(2)}x raw)`,
        `  event store, three events a transaction          ${rate(grouped)} (${(grouped / raw).toFixed(2)}x raw)`,
      ],
    };
  } finally {
    db.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
