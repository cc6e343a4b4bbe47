import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Clock, Decimal, TradingError } from '../shared';
import { InstrumentRegistry, isWorking } from '../model';
import type { BrokerBalance, BrokerFill, BrokerGateway, BrokerOrderView, BrokerPosition } from '../execution';
import { MAX_FILL_PAGE } from '../execution/wire-protocol';
import { inferFill } from '../recovery/fill-inference';
import { DEFAULT_SETTINGS, DomainEvent, SqliteEventStore, StateProjection, StoredEvent, TradingLedger } from '../state';
import { Finding, compareBalances, compareOrderTotals, compareOrders, comparePositions, compareTrades } from './compare-books';
import { DiscrepancyRecord, discrepancyRecord } from './discrepancy';

export interface LogRebuildOptions {
  /** The log that failed its check; a new one is written here once the old one is quarantined. */
  readonly path: string;
  readonly broker: BrokerGateway;
  readonly clock: Clock;
  readonly instruments: InstrumentRegistry;
  /** Settings version 0 of the system that will open the log (DEFAULT_SETTINGS when not given). */
  readonly defaultSettings?: Readonly<Record<string, string>>;
}

export interface RebuildReport {
  /** Where the old log now lies, byte for byte as it was found (its -wal and -shm beside it, where it had them). */
  readonly quarantinedPath: string;
  /** sha256 of the old log file: the same when found and after the move. */
  readonly sha256: string;
  readonly brokenAt: number;
  readonly problem: string;
  /** Events before the first bad sequence number: what the old log could still tell. */
  readonly readableEvents: number;
  /** How the readable part of the old log differed from the broker's books. */
  readonly discrepancies: readonly DiscrepancyRecord[];
  readonly eventsWritten: number;
}

const ACTOR = 'log rebuild';
const ADOPTED = 'rebuilt from the broker after log corruption';
const RESOLUTION = "rebuilt from the broker's books";
/** Reads of a fill page with a hole before the hole is taken as the venue's own (a busted trade keeps its place). */
const HOLE_READS = 3;
const WAL_SIBLINGS = ['-wal', '-shm'] as const;

/** What the broker holds, read in full before anything is moved. */
interface BrokerBooks {
  readonly balance: BrokerBalance;
  readonly positions: readonly BrokerPosition[];
  readonly open: readonly BrokerOrderView[];
  readonly fills: readonly BrokerFill[];
  readonly cursor: number;
  /** Every order the rebuild needs the broker's view of (open, with fills, working in the old log): undefined where the broker does not know it. */
  readonly views: ReadonlyMap<string, BrokerOrderView | undefined>;
}

/** The new log before it is written: its events after EventLogRebuilt, and the events that touch each subject. */
interface PlannedLog {
  readonly events: DomainEvent[];
  readonly seqsOf: (finding: Finding) => number[];
}

/**
 * A log that fails its check is never traded on and never deleted: it is moved into quarantine/
 * beside it, byte for byte, and a new log is written in its place from the broker's books (its
 * positions, cash, open orders and fill history), the first event saying where the old one lies and
 * how its readable part differed from the broker's. The new log is written beside the old one first,
 * so a broker that cannot be read, or books the projection refuses, leave everything as it was.
 */
export async function rebuildLogFromBroker(options: LogRebuildOptions): Promise<RebuildReport> {
  const { path, broker, clock, instruments } = options;
  const defaults = options.defaultSettings ?? DEFAULT_SETTINGS;
  if (!existsSync(path)) throw new TradingError('InvalidInput', `there is no event log at ${path}: nothing to rebuild`, { path });
  const found = fingerprint(path);
  const { verification, events } = SqliteEventStore.readVerifiedPrefix(path);
  if (verification.ok) throw new TradingError('InvalidInput', `event log ${path} verifies (${verification.events} events): nothing to rebuild`, { path });

  const prefix = new StateProjection(instruments, defaults);
  const readable = replayReadable(prefix, events);
  const problem = readable.refusal ? `${verification.problem}; ${readable.refusal}` : verification.problem;
  const books = await readBrokerBooks(broker, prefix);

  const at = clock.now();
  const quarantinedPath = quarantinePathFor(path, at);
  const plan = planLog(broker.name, books, instruments, defaults, prefix, at);
  const discrepancies = compareWithBroker(prefix, books, instruments).map(finding => discrepancyRecord(finding, 'adopt', RESOLUTION, plan.seqsOf(finding)));
  const rebuilt: DomainEvent = {
    type: 'EventLogRebuilt',
    payload: { quarantinedPath, quarantinedSha256: found.log, brokenAt: verification.brokenAt, problem, broker: broker.name, readableEvents: readable.count, discrepancies },
  };

  const draftPath = `${path}.${stamp(at)}.rebuilding`;
  if ([draftPath, ...WAL_SIBLINGS.map(s => draftPath + s)].some(p => existsSync(p))) {
    throw new TradingError('InvalidInput', `a rebuild of ${path} at ${at.toISOString()} is already under way (${draftPath})`, { path, draftPath });
  }
  const eventsWritten = writeLog(draftPath, clock, instruments, defaults, [rebuilt, ...plan.events]);

  quarantine(path, quarantinedPath, found);
  // Nothing of the old log may stay beside the new one: SQLite would take a -wal it finds as the new log's.
  if (WAL_SIBLINGS.some(s => existsSync(path + s))) throw new TradingError('EventStoreCorrupted', `write-ahead files of the old log are still at ${path}: the new log is left at ${draftPath}`, { path, draftPath });
  moveLog(draftPath, path);
  const written = SqliteEventStore.inspect(path);
  if (!written.ok) throw new TradingError('EventStoreCorrupted', `the rebuilt log at ${path} does not verify at seq ${written.brokenAt}: ${written.problem}`, { path });
  return { quarantinedPath, sha256: found.log, brokenAt: verification.brokenAt, problem, readableEvents: readable.count, discrepancies, eventsWritten };
}

/** Replay the events before the break; one the projection refuses ends what the old log can tell, and says why. */
function replayReadable(prefix: StateProjection, events: readonly StoredEvent[]): { count: number; refusal: string | null } {
  for (const [index, event] of events.entries()) {
    try {
      prefix.replay([event]);
    } catch (error) {
      return { count: index, refusal: `the readable part replays only up to seq ${event.seq - 1}: ${(error as Error).message}` };
    }
  }
  return { count: events.length, refusal: null };
}

async function readBrokerBooks(broker: BrokerGateway, prefix: StateProjection): Promise<BrokerBooks> {
  const balance = await broker.balance();
  const positions = await broker.positions();
  const open = await broker.openOrders();
  const { fills, cursor } = await readFillHistory(broker);
  const views = new Map<string, BrokerOrderView | undefined>(open.map(v => [v.clientOrderId, v]));
  const asked = [...fills.map(f => f.clientOrderId), ...prefix.workingOrders().map(o => o.clientOrderId)];
  for (const id of asked) if (!views.has(id)) views.set(id, await broker.getOrder(id));
  return { balance, positions, open, fills, cursor, views };
}

/** The broker's whole fill history, paged to its end: the fills in order, and the cursor after the last. */
async function readFillHistory(broker: BrokerGateway): Promise<{ fills: BrokerFill[]; cursor: number }> {
  const fills: BrokerFill[] = [];
  const seen = new Set<string>();
  let cursor = 0;
  for (;;) {
    let page = await broker.fills(cursor, MAX_FILL_PAGE);
    // A hole that goes when the page is read again was lost on the way; one that stays is a trade the venue busted.
    for (let read = 1; read < HOLE_READS && page.cursor - cursor > page.fills.length; read += 1) page = await broker.fills(cursor, MAX_FILL_PAGE);
    if (page.cursor < cursor || (page.more && page.cursor === cursor)) {
      throw new TradingError('ProtocolError', `broker ${broker.name} answered fills from ${cursor} with a page that goes back or does not move (cursor ${page.cursor})`, { broker: broker.name, cursor });
    }
    for (const fill of page.fills) {
      if (seen.has(fill.tradeId)) continue;
      seen.add(fill.tradeId);
      fills.push(fill);
    }
    cursor = page.cursor;
    if (!page.more) return { fills, cursor };
  }
}

/**
 * The new log from the broker's books: the old log's settings, its orders adopted with the fills of
 * its history (so that a later reconciliation, which reads the history from the start, finds each
 * trade booked), positions the history does not add up to set as the broker has them, and cash paid
 * in so that the books' cash is the broker's wallet. The trades are tried on a draft projection
 * first: the cash paid in is what the broker's wallet holds beyond their realized P&L.
 */
function planLog(brokerName: string, books: BrokerBooks, instruments: InstrumentRegistry, defaults: Readonly<Record<string, string>>, prefix: StateProjection, at: Date): PlannedLog {
  const draft = new StateProjection(instruments, defaults);
  const now = at.toISOString();
  const settings: DomainEvent[] = [];
  const trades: DomainEvent[] = [];
  const closing: DomainEvent[] = [];
  const adjustments: DomainEvent[] = [];
  const tryOn = (list: DomainEvent[], event: DomainEvent) => {
    draft.prepare(event)(now);
    list.push(event);
  };

  const ours = prefix.settings.snapshot();
  const changed = Object.fromEntries(Object.entries(ours).filter(([key, value]) => defaults[key] !== value));
  if (Object.keys(changed).length > 0) {
    tryOn(settings, { type: 'SettingsChanged', payload: { version: 1, changes: draft.settings.prepare(changed), actor: ACTOR, reason: `the settings of the readable log (version ${prefix.settings.version})` } });
  }

  const filledOf = new Map<string, Decimal>();
  for (const fill of books.fills) filledOf.set(fill.clientOrderId, (filledOf.get(fill.clientOrderId) ?? new Decimal(0)).plus(fill.quantity));
  const adopt = (view: BrokerOrderView) => {
    const quantity = Decimal.max(view.quantity, filledOf.get(view.clientOrderId) ?? view.quantity);
    tryOn(trades, {
      type: 'OrderAdopted',
      payload: { clientOrderId: view.clientOrderId, brokerOrderId: view.brokerOrderId, symbol: view.symbol, side: view.side, orderType: view.type, quantity: quantity.toString(), ...(view.limitPrice ? { limitPrice: view.limitPrice.toString() } : {}), owner: 'external', reason: ADOPTED },
    });
  };
  // In the history's order: a position's average and realized P&L depend on the order of its trades.
  let fillsBooked = 0;
  for (const fill of books.fills) {
    const view = books.views.get(fill.clientOrderId);
    if (!view) {
      tryOn(trades, { type: 'TradeQuarantined', payload: { tradeId: fill.tradeId, clientOrderId: fill.clientOrderId, symbol: fill.symbol, side: fill.side, quantity: fill.quantity.toString(), price: fill.price.toString(), reason: `${ACTOR}: the broker does not know order ${fill.clientOrderId}` } });
      continue;
    }
    if (!draft.orders.has(view.clientOrderId)) adopt(view);
    tryOn(trades, { type: 'OrderFilled', payload: { clientOrderId: fill.clientOrderId, tradeId: fill.tradeId, quantity: fill.quantity.toString(), price: fill.price.toString(), fee: fill.fee.toString(), liquidity: fill.liquidity, fromHistory: true, brokerTime: fill.at } });
    fillsBooked += 1;
  }
  for (const view of books.open) if (!draft.orders.has(view.clientOrderId)) adopt(view);

  let closed = 0;
  for (const order of [...draft.orders.values()]) {
    const view = books.views.get(order.clientOrderId) as BrokerOrderView;
    // What the broker counts filled beyond its history, inferred as reconciliation would, so the order's totals agree.
    const inferred = inferFill(order, view, at);
    if (inferred && inferred.quantity.lte(order.quantity.minus(order.filledQuantity))) {
      tryOn(closing, { type: 'OrderFilled', payload: { clientOrderId: order.clientOrderId, tradeId: inferred.tradeId, quantity: inferred.quantity.toString(), price: inferred.price.toString(), fee: '0', liquidity: inferred.liquidity, inferred: true } });
    }
    if (!isWorking(order) || view.status === 'open' || view.status === 'partially_filled') continue;
    const reason = `${ACTOR}: ${view.status} at the broker, ${view.filledQuantity.toString()} of ${view.quantity.toString()} filled`;
    tryOn(closing, view.status === 'expired' ? { type: 'OrderExpired', payload: { clientOrderId: order.clientOrderId, reason } } : { type: 'OrderCancelled', payload: { clientOrderId: order.clientOrderId, reason } });
    closed += 1;
  }

  const theirs = new Map(books.positions.map(p => [p.symbol, p]));
  const symbols = new Set([...books.positions.filter(p => !p.netQuantity.isZero()).map(p => p.symbol), ...draft.openPositions().map(p => p.symbol)]);
  for (const symbol of [...symbols].sort()) {
    const mine = draft.position(symbol);
    const broker = theirs.get(symbol);
    const quantity = broker?.netQuantity ?? new Decimal(0);
    const average = quantity.isZero() ? new Decimal(0) : (broker?.averageEntryPrice ?? new Decimal(0));
    if (mine.netQuantity.eq(quantity) && mine.averageEntryPrice.eq(average)) continue;
    tryOn(adjustments, { type: 'BooksAdjusted', payload: { source: ACTOR, reason: "the broker's position: its fill history does not add up to it", position: { symbol, netQuantity: quantity.toString(), averageEntryPrice: average.toString() } } });
  }

  // Paid in: the broker's wallet less the realized P&L the history brought, so the books' cash is the wallet.
  const paidIn = books.balance.cash.minus(draft.account().cash);
  const funding: DomainEvent[] = [{ type: 'AccountFunded', payload: { currency: books.balance.currency, amount: Decimal.max(paidIn, 0).toString() } }];
  if (paidIn.isNegative()) funding.push({ type: 'BooksAdjusted', payload: { source: ACTOR, reason: "the broker's wallet holds less than its realized P&L: money was taken out", cash: { currency: books.balance.currency, amount: paidIn.toString() } } });
  const working = draft.workingOrders().length;
  const synchronised: DomainEvent = {
    type: 'StateSynchronised',
    payload: { broker: brokerName, trigger: ACTOR, fillsRecovered: fillsBooked, ordersClosed: closed, ordersStillWorking: working, positionsChecked: books.positions.length, fillCursor: books.cursor },
  };
  const events = [...settings, ...funding, ...trades, ...closing, ...adjustments, synchronised];
  // Seq 1 is EventLogRebuilt; the planned events follow it.
  const seqOf = (event: DomainEvent) => events.indexOf(event) + 2;
  return {
    events,
    seqsOf: finding => {
      const { tradeId, clientOrderId, symbol, currency } = finding.subject;
      if (tradeId) return events.filter(e => (e.type === 'OrderFilled' || e.type === 'TradeQuarantined') && e.payload.tradeId === tradeId).map(seqOf);
      if (clientOrderId) return events.filter(e => (e.type === 'OrderAdopted' || e.type === 'OrderCancelled' || e.type === 'OrderExpired' || (e.type === 'OrderFilled' && e.payload.inferred)) && e.payload.clientOrderId === clientOrderId).map(seqOf);
      if (currency) return funding.map(seqOf);
      if (symbol) return adjustments.filter(e => e.type === 'BooksAdjusted' && e.payload.position?.symbol === symbol).map(seqOf);
      return [];
    },
  };
}

/**
 * How the readable part of the old log differed from the broker's books, with the pure comparisons
 * reconciliation runs. An order's totals row is left out where the history rows of its trades already say it.
 */
function compareWithBroker(prefix: StateProjection, books: BrokerBooks, instruments: InstrumentRegistry): Finding[] {
  const viewOf = (id: string) => books.views.get(id);
  const orders = compareOrders(prefix.workingOrders(), id => prefix.orders.has(id), books.open, viewOf);
  const trades = compareTrades(prefix.fills, books.fills, id => prefix.orders.has(id), prefix.reconciliation.quarantinedTrades);
  const missingTrades = new Set(trades.filter(f => f.class === 'missing fill').map(f => f.subject.clientOrderId));
  const answered = [...prefix.orders.values()].filter(o => viewOf(o.clientOrderId) !== undefined);
  const fillsOf = (id: string) => [...prefix.fills.values()].filter(f => f.clientOrderId === id);
  const totals = compareOrderTotals(answered, viewOf, fillsOf, id => books.fills.filter(f => f.clientOrderId === id)).filter(f => !(f.class === 'missing fill' && missingTrades.has(f.subject.clientOrderId)));
  const positions = comparePositions([...prefix.positions.values()], books.positions, symbol => instruments.get(symbol).lotSize);
  const tolerance = new Decimal(prefix.settings.snapshot().reconciliation_cash_tolerance ?? '0');
  const balances = compareBalances(new Map([[prefix.currency, prefix.account().cash]]), [books.balance], tolerance);
  return [...orders, ...trades, ...totals, ...positions, ...balances];
}

/** Write a new log through the one write path (each event checked by the projection, then appended), in one transaction. */
function writeLog(path: string, clock: Clock, instruments: InstrumentRegistry, defaults: Readonly<Record<string, string>>, events: readonly DomainEvent[]): number {
  const store = SqliteEventStore.open(path, clock);
  try {
    const ledger = new TradingLedger(store, new StateProjection(instruments, defaults));
    ledger.batch(() => {
      for (const event of events) ledger.record(event);
    });
    return store.length;
  } finally {
    store.close();
  }
}

/** The sha256 of a log file and of its write-ahead file where that holds pages (an empty one holds nothing). */
interface Fingerprint {
  readonly log: string;
  readonly wal: string | null;
}

function fingerprint(path: string): Fingerprint {
  const wal = `${path}-wal`;
  return { log: sha256Of(path), wal: existsSync(wal) && statSync(wal).size > 0 ? sha256Of(wal) : null };
}

function sha256Of(path: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) hash.update(buffer.subarray(0, read));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Move the old log (its -wal and -shm with it) into quarantine and check it arrived byte for byte as it was found. */
function quarantine(path: string, quarantinedPath: string, found: Fingerprint): void {
  mkdirSync(dirname(quarantinedPath), { recursive: true });
  const before = fingerprint(path);
  if (before.log !== found.log || before.wal !== found.wal) {
    throw new TradingError('EventStoreCorrupted', `event log ${path} changed while it was being rebuilt: it is left where it is`, { path });
  }
  moveLog(path, quarantinedPath);
  const after = fingerprint(quarantinedPath);
  if (after.log !== found.log || after.wal !== found.wal) {
    throw new TradingError('EventStoreCorrupted', `the quarantined log ${quarantinedPath} is not byte-identical to the one found at ${path}`, { path, quarantinedPath });
  }
}

/** The log first, then its siblings under the same name, so SQLite finds them beside it. */
function moveLog(from: string, to: string): void {
  if (existsSync(to)) throw new TradingError('InvalidInput', `${to} is already there: nothing is moved over it`, { from, to });
  renameSync(from, to);
  for (const sibling of WAL_SIBLINGS) if (existsSync(from + sibling)) renameSync(from + sibling, to + sibling);
}

/** quarantine/<name>.<time>.corrupt beside the log; a second one at the same time gets a number. */
function quarantinePathFor(path: string, at: Date): string {
  const folder = join(dirname(path), 'quarantine');
  const name = `${basename(path)}.${stamp(at)}`;
  for (let n = 1; ; n += 1) {
    const candidate = join(folder, n === 1 ? `${name}.corrupt` : `${name}-${n}.corrupt`);
    if (![candidate, ...WAL_SIBLINGS.map(s => candidate + s)].some(p => existsSync(p))) return candidate;
  }
}

function stamp(at: Date): string {
  return at.toISOString().replace(/:/g, '-');
}
