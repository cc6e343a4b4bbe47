import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Decimal, SeededRandom } from '../domain/shared';
import { runSeed } from '../support/run-context';
import { transpileForChildren } from './crash/transpile';
import {
  BrokerBooks,
  BrokerCommand,
  BrokerMessage,
  MAX_NETWORK_DELAY_MS,
  PlannedOrder,
  RESTING_BUY_PRICE,
  RESTING_SELL_PRICE,
  SettleMode,
  TraderCommand,
  TraderConfig,
  TraderMessage,
  TraderState,
} from './crash/protocol';

const ROOT = join(__dirname, '..');
const KILLS = 32;
const WAIT_MS = 15_000;
const SEED = runSeed();

type Message<M, T> = Extract<M, { type: T }>;

/** A child process started by the test: its messages waited for by type with a timeout; its end, or a failure it reports, fails every wait. */
class Child<Out extends { type: string }, In> {
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly queue: Out[] = [];
  private readonly waiters = new Set<() => void>();
  private stderr = '';
  private end: string | null = null;

  constructor(
    readonly label: string,
    readonly process: ChildProcess,
    onMessage: (message: Out) => boolean,
  ) {
    process.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    process.on('message', (message: Out) => {
      if (onMessage(message)) return;
      this.queue.push(message);
      this.changed();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve => process.once('exit', (code, signal) => resolve({ code, signal })));
    const disconnected = new Promise<void>(resolve => process.once('disconnect', () => resolve()));
    // Messages already in the pipe when the process died are still read: its end is the exit and the channel closed.
    this.ended = Promise.all([exited, disconnected]).then(([status]) => {
      this.end = `${label} ended (exit code ${status.code}, signal ${status.signal})`;
      this.changed();
      return status;
    });
  }

  send(message: In): void {
    this.process.send(message as object);
  }

  next<T extends Out['type']>(type: T, timeoutMs = WAIT_MS): Promise<Message<Out, T>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const failure = this.queue.find(m => m.type === 'failed');
        const index = this.queue.findIndex(m => m.type === type);
        if (failure) return finish(() => reject(new Error(`${this.label} failed: ${(failure as unknown as { error: string }).error}`)));
        if (index >= 0) return finish(() => resolve(this.queue.splice(index, 1)[0] as Message<Out, T>));
        if (this.end) return finish(() => reject(new Error(`${this.end} before it sent '${type}'${this.stderr ? `; stderr: ${this.stderr}` : ''}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${this.label} sent no '${type}' within ${timeoutMs} ms${this.stderr ? `; stderr: ${this.stderr}` : ''}`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  private changed(): void {
    for (const check of [...this.waiters]) check();
  }
}

function start<Out extends { type: string }, In>(label: string, script: string, args: string[], onMessage: (message: Out) => boolean = () => false): Child<Out, In> {
  const child = fork(script, args, { execArgv: [], env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  return new Child<Out, In>(label, child, onMessage);
}

/** The broker process, asked for its books and told what to hold on the network. */
class Broker {
  private nextId = 1;
  constructor(readonly child: Child<BrokerMessage, BrokerCommand>) {}

  async ask<T extends BrokerCommand['type']>(command: Omit<Extract<BrokerCommand, { type: T }>, 'id'>): Promise<BrokerMessage> {
    const id = this.nextId++;
    this.child.send({ ...command, id } as BrokerCommand);
    const reply = await this.child.next(command.type === 'books' ? 'books' : 'done');
    if (!('id' in reply) || reply.id !== id) throw new Error(`the broker answered request ${'id' in reply ? reply.id : '?'} instead of ${id}`);
    return reply;
  }

  async books(): Promise<BrokerBooks> {
    const reply = await this.ask<'books'>({ type: 'books' });
    if (reply.type !== 'books') throw new Error(`the broker answered ${reply.type} to books`);
    return reply.books;
  }
}

/**
 * Where a trading system is killed: at the nth event of a kind it records once its orders start
 * (OrderSubmitted: as it sends the order, mostly before the request has left the process), once the
 * network holds the request of its nth order, or once the broker has created its nth order.
 */
interface KillRule {
  readonly on: 'OrderSubmitted' | 'OrderAcknowledged' | 'OrderFilled' | 'any event' | 'order request on the network' | 'order at the broker';
  readonly nth: number;
}

function describeRule(rule: KillRule): string {
  return `${rule.on} #${rule.nth}`;
}

/** What became of an order a killed process had sent and never heard back on. */
type InFlightFate =
  | 'at the broker before the kill'
  | 'reached the broker after the kill, before recovery'
  | 'reached the broker once recovery had started'
  | 'sent again under its id by the in-flight resolver'
  | 'never reached the broker, closed once it could no longer arrive';

function planFor(incarnation: number, random: SeededRandom): PlannedOrder[] {
  return Array.from({ length: random.int(3, 6) }, (_, i) => {
    const side = random.next() < 0.5 ? 'buy' : 'sell';
    const quantity = new Decimal(random.int(1, 8)).div(1000).toFixed(3);
    const clientOrderId = `C${SEED}-${incarnation}-${i + 1}`;
    if (random.next() < 0.2) return { clientOrderId, side, type: 'limit', quantity, limitPrice: side === 'buy' ? RESTING_BUY_PRICE : RESTING_SELL_PRICE };
    return { clientOrderId, side, type: 'market', quantity };
  });
}

/** The first kills are the in-flight cases for sure: a request on the network, an order the broker has and never answered, a request being sent. */
const FORCED_RULES: readonly KillRule['on'][] = ['order request on the network', 'order at the broker', 'OrderSubmitted'];

function killRuleFor(incarnation: number, plan: readonly PlannedOrder[], random: SeededRandom): KillRule {
  const nth = random.int(1, plan.length);
  if (incarnation <= FORCED_RULES.length) return { on: FORCED_RULES[incarnation - 1], nth };
  const draw = random.next();
  const markets = plan.filter(o => o.type === 'market').length;
  if (draw < 0.2) return { on: 'OrderSubmitted', nth };
  if (draw < 0.4) return { on: 'order request on the network', nth };
  if (draw < 0.55) return { on: 'order at the broker', nth };
  if (draw < 0.7) return { on: 'OrderAcknowledged', nth };
  if (draw < 0.85 && markets > 0) return { on: 'OrderFilled', nth: random.int(1, markets) };
  return { on: 'any event', nth: random.int(1, 30) };
}

/**
 * What the network holds: the request a kill on the network lands on (so it reaches the broker
 * after the process died, before or after the next one recovered); the request a kill on its
 * submission lands on, half the time (always among the first kills, so the broker cannot answer
 * before the kill); the answer to the order a kill at the broker lands on (so the process never
 * hears back); and a few other requests, to vary the timing.
 */
function holdsFor(incarnation: number, plan: readonly PlannedOrder[], rule: KillRule, random: SeededRandom): { requests: Record<string, number>; answers: Record<string, number> } {
  const requests: Record<string, number> = {};
  const answers: Record<string, number> = {};
  plan.forEach((order, i) => {
    const target = i === rule.nth - 1;
    const id = order.clientOrderId;
    if (target && rule.on === 'order at the broker') answers[id] = random.int(200, 400);
    else if (target && rule.on === 'order request on the network') requests[id] = random.int(30, MAX_NETWORK_DELAY_MS);
    else if (target && rule.on === 'OrderSubmitted' && (incarnation <= FORCED_RULES.length || random.next() < 0.5)) requests[id] = random.int(30, MAX_NETWORK_DELAY_MS);
    else if (!target && random.next() < 0.2) requests[id] = random.int(20, 250);
  });
  return { requests, answers };
}

function decimalEq(a: string, b: string): boolean {
  return new Decimal(a).eq(new Decimal(b));
}

/** A broker order's status as the system's log names it. */
const BROKER_STATUS_IN_LOG: Readonly<Record<string, string>> = { open: 'acknowledged', partially_filled: 'partially_filled', filled: 'filled', cancelled: 'cancelled' };
/** Statuses of an order the broker never had: closed as unable to arrive, refused, or never sent. */
const NEVER_AT_BROKER = new Set(['cancelled', 'rejected', 'failed', 'new', 'pending_risk']);

function assertAgreesWithBroker(where: string, trader: TraderState, books: BrokerBooks): void {
  const twice = Object.entries(books.ordersCreated).filter(([, count]) => count > 1);
  assert.deepEqual(twice, [], `${where}: the broker holds more than one order for a client order id (id, orders)`);
  const local = new Map(trader.orders.map(o => [o.clientOrderId, o]));
  const atBroker = new Set(books.orders.map(o => o.clientOrderId));
  assert.equal(atBroker.size, books.orders.length, `${where}: the broker lists a client order id twice`);
  for (const order of books.orders) {
    const id = order.clientOrderId;
    const mine = local.get(id);
    assert.ok(mine, `${where}, client order id ${id}: the broker has order ${order.brokerOrderId} (${order.status}) that the trading system's log does not know`);
    assert.equal(mine.brokerOrderId, order.brokerOrderId, `${where}, client order id ${id}: the log names broker order ${mine.brokerOrderId}, the broker ${order.brokerOrderId}`);
    assert.equal(mine.status, BROKER_STATUS_IN_LOG[order.status], `${where}, client order id ${id}: the log has the order ${mine.status}, the broker ${order.status}`);
    assert.ok(decimalEq(mine.filledQuantity, order.filledQuantity), `${where}, client order id ${id}: the log has ${mine.filledQuantity} filled, the broker ${order.filledQuantity}`);
  }
  for (const mine of trader.orders) {
    if (atBroker.has(mine.clientOrderId)) continue;
    assert.ok(NEVER_AT_BROKER.has(mine.status), `${where}, client order id ${mine.clientOrderId}: the log has the order ${mine.status}, the broker does not have it`);
  }
  assert.deepEqual([...trader.tradeIds].sort(), [...books.tradeIds].sort(), `${where}: the log's fills are not the broker's fills, one each under its trade id`);
  // Average-cost positions depend on the order of their fills: say so when the log applied them in another order than the broker booked them.
  const differsAt = trader.tradeIds.findIndex((id, i) => id !== books.tradeIds[i]);
  const order = differsAt < 0 ? '' : `; the log applied the fills in another order than the broker booked them, from fill ${differsAt + 1}: log ${trader.tradeIds.slice(differsAt, differsAt + 3).join(', ')}, broker ${books.tradeIds.slice(differsAt, differsAt + 3).join(', ')}`;
  const symbols = new Set([...trader.positions, ...books.positions].map(p => p.symbol));
  for (const symbol of symbols) {
    const flat = { symbol, netQuantity: '0', averageEntryPrice: '0' };
    const mine = trader.positions.find(p => p.symbol === symbol) ?? flat;
    const theirs = books.positions.find(p => p.symbol === symbol) ?? flat;
    const figures = `the log ${mine.netQuantity} at ${mine.averageEntryPrice}, the broker ${theirs.netQuantity} at ${theirs.averageEntryPrice}`;
    assert.ok(decimalEq(mine.netQuantity, theirs.netQuantity) && decimalEq(mine.averageEntryPrice, theirs.averageEntryPrice), `${where}: ${symbol} position differs: ${figures}${order}`);
  }
  assert.ok(decimalEq(trader.cash, books.cash), `${where}: cash differs: the log ${trader.cash}, the broker ${books.cash}${order}`);
}

/** Every event a process told of (committed) is in the log it left, under the same hash. */
function assertCommittedEventsKept(where: string, eventStorePath: string, told: ReadonlyMap<number, { hash: string; incarnation: number }>): void {
  const db = new Database(eventStorePath, { readonly: true, fileMustExist: true });
  try {
    const onDisk = new Map((db.prepare('SELECT seq, hash FROM events').all() as { seq: number; hash: string }[]).map(row => [row.seq, row.hash]));
    const lost = [...told].filter(([seq, event]) => onDisk.get(seq) !== event.hash).map(([seq, event]) => `seq ${seq} (told by incarnation ${event.incarnation})`);
    assert.deepEqual(lost, [], `${where}: committed events missing or changed in the log the crash left`);
  } finally {
    db.close();
  }
}

test(`the trading system killed ${KILLS} times between submit and acknowledgement or fill loses no committed event, never places an order twice, and recovers the broker's positions and cash (seed ${SEED})`, { timeout: 120_000 }, async t => {
  const startedAt = Date.now();
  console.log(`crash consistency: seed ${SEED} (SEED=${SEED} replays it)`);
  const random = new SeededRandom(SEED);
  const dir = mkdtempSync(join(tmpdir(), 'crash-consistency-'));
  const eventStorePath = join(dir, 'events.sqlite');
  const [brokerScript, traderScript] = transpileForChildren(ROOT, ['test/crash/broker-process.ts', 'test/crash/trader-process.ts'], join(dir, 'js'));
  const running = new Set<ChildProcess>();
  t.after(() => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  let onBrokerSide: ((what: 'request-held' | 'order-created', clientOrderId: string) => void) | null = null;
  /** Orders the broker told of having created, as the test heard of them. */
  const createdAtBroker = new Set<string>();
  const brokerChild = start<BrokerMessage, BrokerCommand>('the broker process', brokerScript, [], message => {
    if (message.type !== 'order-created' && message.type !== 'request-held') return false;
    if (message.type === 'order-created') createdAtBroker.add(message.clientOrderId);
    onBrokerSide?.(message.type, message.clientOrderId);
    return true;
  });
  running.add(brokerChild.process);
  const broker = new Broker(brokerChild);
  const { url: brokerUrl } = await brokerChild.next('listening');

  const told = new Map<number, { hash: string; incarnation: number }>();
  const rewritten: string[] = [];
  /** Orders a killed process left in flight, for what became of them once the run is over. */
  const inFlight: { where: string; id: string; atBrokerBeforeKill: boolean; recoveryStartedAtMs: number }[] = [];
  const resent = new Set<string>();
  let inFlightKills = 0;
  const restartsMs: number[] = [];
  let openedFromSnapshot = 0;
  let previous: { incarnation: number; killAtMs: number; rule: string; createdBeforeKill: ReadonlySet<string> } | null = null;

  for (let incarnation = 1; ; incarnation += 1) {
    const where: string = `seed ${SEED}, incarnation ${incarnation}${previous ? ` (after the kill on ${previous.rule})` : ''}`;
    const settle: SettleMode = random.next() < 0.4 ? 'resolve-now' : 'wait-for-window';
    const lastTold = Math.max(0, ...told.keys());
    const config: TraderConfig = { incarnation, eventStorePath, brokerUrl, seed: SEED * 1000 + incarnation, settle };
    let armed: ((message: Message<TraderMessage, 'event'>) => void) | null = null;
    const onEvent = (message: TraderMessage): boolean => {
      if (message.type !== 'event') return false;
      const known = told.get(message.seq);
      if (known && known.hash !== message.hash) rewritten.push(`seq ${message.seq}: told by incarnation ${known.incarnation}, then again by ${incarnation} with another hash`);
      else told.set(message.seq, { hash: message.hash, incarnation });
      if (message.eventType === 'OrderResubmitted' && message.clientOrderId) resent.add(message.clientOrderId);
      armed?.(message);
      return true;
    };
    const trader = start<TraderMessage, TraderCommand>(`trading system incarnation ${incarnation}`, traderScript, [JSON.stringify(config)], onEvent);
    running.add(trader.process);

    const recovered = await trader.next('recovered');
    assert.ok(recovered.eventsReplayed >= lastTold, `${where}: the reopened log has ${recovered.eventsReplayed} events, ${lastTold} were committed`);
    if (recovered.head && told.has(recovered.head.seq)) assert.equal(recovered.head.hash, told.get(recovered.head.seq)?.hash, `${where}: the reopened log's last event (seq ${recovered.head.seq}) is not the committed one`);
    assert.deepEqual(recovered.openedDiffersFromFullReplay, [], `${where}: the state opened (${recovered.openedFrom}) is not the state a full replay of the log gives`);
    if (recovered.openedFrom === 'snapshot') openedFromSnapshot += 1;
    const settled = await trader.next('settled');
    assert.equal(settled.logCheck, 'verified', `${where}: the check of the log's chain`);
    const books = await broker.books();
    assert.deepEqual(rewritten, [], `${where}: a committed sequence number was appended again with another event`);
    assertAgreesWithBroker(`${where}, settle mode ${settle}`, settled.state, books);

    if (previous) restartsMs.push(recovered.recoveredAtMs - previous.killAtMs);
    if (previous && recovered.inFlightAtOpen.length > 0) {
      inFlightKills += 1;
      for (const id of recovered.inFlightAtOpen) inFlight.push({ where, id, atBrokerBeforeKill: previous.createdBeforeKill.has(id), recoveryStartedAtMs: recovered.recoveryStartedAtMs });
    }

    if (incarnation > KILLS) {
      trader.send({ type: 'stop' });
      const status = await trader.ended;
      assert.equal(status.code, 0, `${where}: the last incarnation did not stop cleanly`);
      break;
    }

    const plan = planFor(incarnation, random);
    const rule = killRuleFor(incarnation, plan, random);
    await broker.ask<'delay'>({ type: 'delay', ...holdsFor(incarnation, plan, rule, random) });
    let killAtMs = 0;
    let killedOn = '';
    let createdBeforeKill: ReadonlySet<string> = new Set();
    const kill = (why: string) => {
      if (killAtMs !== 0) return;
      killAtMs = Date.now();
      killedOn = why;
      createdBeforeKill = new Set(createdAtBroker);
      trader.process.kill('SIGKILL');
    };
    let seen = 0;
    armed = message => {
      if (rule.on === 'order at the broker' || rule.on === 'order request on the network' || (rule.on !== 'any event' && message.eventType !== rule.on)) return;
      seen += 1;
      if (seen === rule.nth) kill(describeRule(rule));
    };
    onBrokerSide = (what, clientOrderId) => {
      const awaited = rule.on === 'order at the broker' ? 'order-created' : rule.on === 'order request on the network' ? 'request-held' : null;
      if (what === awaited && clientOrderId === plan[rule.nth - 1].clientOrderId) kill(describeRule(rule));
    };
    trader.send({ type: 'go', plan });
    // The kill point, or the end of the orders if it never came (a refused order has no acknowledgement).
    await trader.next('loop-done').then(
      () => kill('after its last order'),
      error => assert.ok(killAtMs !== 0, `${where}: ${String(error)}`),
    );
    const landed = killedOn;
    await trader.ended;
    onBrokerSide = null;
    running.delete(trader.process);
    // Holds for requests the dead process never sent must not catch the next process's resend.
    await broker.ask<'delay'>({ type: 'delay', requests: {}, answers: {} });
    // Another participant trades against a resting order while no trading system runs: only the fill history tells of it.
    if (random.next() < 0.4) await broker.ask<'trade-resting'>({ type: 'trade-resting', pick: random.next(), whole: random.next() < 0.5 });
    assertCommittedEventsKept(`${where}, killed on ${landed}`, eventStorePath, told);
    previous = { incarnation, killAtMs, rule: landed, createdBeforeKill };
  }

  const finalBooks = await broker.books();
  // The broker goes when the test lets go of it.
  brokerChild.process.disconnect();
  await brokerChild.ended;
  const fates = new Map<InFlightFate, number>();
  let sentTwice = 0;
  for (const { where, id, atBrokerBeforeKill, recoveryStartedAtMs } of inFlight) {
    const placements = finalBooks.placeRequests.filter(r => r.clientOrderId === id);
    const first = placements[0]?.atMs;
    const fate: InFlightFate = atBrokerBeforeKill
      ? 'at the broker before the kill'
      : resent.has(id)
        ? 'sent again under its id by the in-flight resolver'
        : first === undefined
          ? 'never reached the broker, closed once it could no longer arrive'
          : first < recoveryStartedAtMs
            ? 'reached the broker after the kill, before recovery'
            : 'reached the broker once recovery had started';
    fates.set(fate, (fates.get(fate) ?? 0) + 1);
    if (placements.length > 1) sentTwice += 1;
    // The broker had it when recovery asked: found by its client order id, never sent again.
    if (first !== undefined && first < recoveryStartedAtMs) assert.equal(placements.length, 1, `${where}, client order id ${id} (${fate}): recovery sent it to the broker again`);
  }
  assert.ok(inFlightKills >= FORCED_RULES.length, `seed ${SEED}: only ${inFlightKills} of ${KILLS} kills left an order in flight`);
  assert.ok(openedFromSnapshot >= KILLS / 2, `seed ${SEED}: only ${openedFromSnapshot} of ${KILLS + 1} opens went through a snapshot`);
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  const medianRestartMs = [...restartsMs].sort((a, b) => a - b)[Math.floor(restartsMs.length / 2)];
  const summary =
    `crash consistency: seed ${SEED}, ${KILLS} kills in ${seconds} s (kill to recovered: median ${medianRestartMs} ms), ` +
    `${inFlightKills} with an order in flight (${[...fates].map(([fate, n]) => `${n} ${fate}`).join(', ')}; ${sentTwice} reached the broker twice, one order each), ${told.size} committed events kept, ` +
    `${openedFromSnapshot} opens from a snapshot, each equal to a full replay`;
  console.log(summary);
  t.diagnostic(summary);
});
