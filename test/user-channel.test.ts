import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { BrokerReport, ChannelEvent, MAX_SEQUENCE_JUMP, UserChannel, USER_CHANNEL_PATH } from '../domain/execution';
import { ConditionWaiters } from '../support/condition-waiters';

const AT = '2026-01-05T14:30:00.000Z';

function ack(n: number): Record<string, unknown> {
  return { type: 'acknowledged', clientOrderId: `CO-${n}`, brokerOrderId: `B-${n}`, at: AT };
}

function fill(tradeId: string, quantity = '0.1'): Record<string, unknown> {
  return { type: 'fill', clientOrderId: 'CO-1', brokerOrderId: 'B-1', tradeId, symbol: 'BTC-PERP', side: 'buy', quantity, price: '50000', fee: '0', liquidity: 'taker', at: AT };
}

/** A broker that says exactly what a test scripts: a welcome on each connection, then frames on demand. */
class ScriptedBroker {
  readonly connections: WebSocket[] = [];
  private readonly server: WebSocketServer;
  /** The welcome the next connection gets. */
  welcome = { seq: 0, epoch: 'session-A' };

  private constructor(server: WebSocketServer) {
    this.server = server;
    server.on('connection', socket => {
      socket.on('error', () => undefined);
      this.connections.push(socket);
      socket.send(JSON.stringify({ type: 'welcome', ...this.welcome }));
    });
  }

  static async start(): Promise<ScriptedBroker> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', path: USER_CHANNEL_PATH });
    await new Promise<void>(resolve => server.once('listening', () => resolve()));
    return new ScriptedBroker(server);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}${USER_CHANNEL_PATH}`;
  }

  send(frame: Record<string, unknown>): void {
    this.connections[this.connections.length - 1].send(JSON.stringify(frame));
  }

  report(seq: number, report: Record<string, unknown>, epoch?: string): void {
    this.send({ type: 'report', seq, ...(epoch ? { epoch } : {}), report });
  }

  heartbeat(seq: number, epoch?: string): void {
    this.send({ type: 'heartbeat', counter: 1, at: AT, seq, ...(epoch ? { epoch } : {}) });
  }

  /** The connection dies as a process restart kills it: no close frame. */
  dropConnections(): void {
    for (const socket of this.connections) socket.terminate();
  }

  stop(): Promise<void> {
    for (const socket of this.server.clients) socket.terminate();
    return new Promise(resolve => this.server.close(() => resolve()));
  }
}

/** A channel to the scripted broker, with what it delivered and reported. */
class Harness {
  readonly reports: BrokerReport[] = [];
  readonly events: ChannelEvent[] = [];
  readonly channel: UserChannel;
  private readonly waiters = new ConditionWaiters();

  constructor(readonly broker: ScriptedBroker) {
    this.channel = new UserChannel({
      url: broker.url,
      headers: () => ({}),
      livenessTimeoutMs: 5000,
      reconnectAttempts: 5,
      reconnectBaseDelayMs: 10,
      random: () => 0.5,
      onReport: report => this.changed(() => this.reports.push(report)),
      onEvent: event => this.changed(() => this.events.push(event)),
    });
  }

  private changed(record: () => void): void {
    record();
    this.waiters.changed();
  }

  of<T extends ChannelEvent['type']>(type: T): Extract<ChannelEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<ChannelEvent, { type: T }> => e.type === type);
  }

  until(predicate: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
    return this.waiters.until(predicate, timeoutMs, () => new Error(`timed out waiting for ${what}; events ${JSON.stringify(this.events)}, ${this.reports.length} reports`));
  }
}

async function harness(t: { after: (fn: () => Promise<void> | void) => void }): Promise<Harness> {
  const broker = await ScriptedBroker.start();
  const h = new Harness(broker);
  t.after(async () => {
    h.channel.close();
    await broker.stop();
  });
  await h.channel.connect();
  return h;
}

/** The promise settles well before the wait it was given, so it did not wait. */
async function settlesWithin<T>(ms: number, promise: Promise<T>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test('a welcome naming a new session starts the count again: its reports, numbered from 1, are all delivered', async t => {
  const h = await harness(t);
  for (let seq = 1; seq <= 20; seq += 1) h.broker.report(seq, fill(`A-${seq}`));
  await h.until(() => h.reports.length === 20, 'the first session\'s reports');

  h.broker.welcome = { seq: 0, epoch: 'session-B' };
  h.broker.dropConnections();
  await h.until(() => h.of('connected').length === 2, 'the reconnect');
  for (let seq = 1; seq <= 20; seq += 1) h.broker.report(seq, fill(`B-${seq}`), 'session-B');
  await h.until(() => h.reports.length === 40, 'the new session\'s reports');

  assert.deepEqual(h.of('session_changed'), [{ type: 'session_changed', previousSession: 'session-A', session: 'session-B', lastSeqBefore: 20, welcomeSeq: 0 }]);
  assert.deepEqual(h.of('out_of_order'), []);
  assert.equal(h.channel.currentSession, 'session-B');
  assert.equal(h.channel.lastSequence, 20);
});

test('the same session on a reconnect resumes the count from the welcome', async t => {
  const h = await harness(t);
  h.broker.report(1, ack(1));
  await h.until(() => h.reports.length === 1, 'a report');
  h.broker.welcome = { seq: 3, epoch: 'session-A' };
  h.broker.dropConnections();
  await h.until(() => h.of('connected').length === 2, 'the reconnect');
  h.broker.report(4, ack(4));
  await h.until(() => h.reports.length === 2, 'the report after the welcome');
  assert.deepEqual([h.of('session_changed'), h.of('sequence_gap'), h.channel.lastSequence], [[], [], 4]);
});

test('a heartbeat naming seq 2^53-1 is reported once as implausible, never becomes the last seq, and the next report is delivered', async t => {
  const h = await harness(t);
  h.broker.report(1, ack(1));
  h.broker.heartbeat(Number.MAX_SAFE_INTEGER);
  h.broker.heartbeat(Number.MAX_SAFE_INTEGER);
  h.broker.report(2, fill('T-1'));
  await h.until(() => h.reports.length === 2, 'the report after the forged heartbeats');
  assert.deepEqual(h.of('implausible_sequence'), [{ type: 'implausible_sequence', lastSeq: 1, received: Number.MAX_SAFE_INTEGER }]);
  assert.deepEqual([h.of('sequence_gap'), h.of('out_of_order'), h.channel.lastSequence], [[], [], 2]);
});

test('a report implausibly far ahead is reported, not delivered, and the count goes on from the last genuine one', async t => {
  const h = await harness(t);
  h.broker.report(1, ack(1));
  h.broker.report(2 + MAX_SEQUENCE_JUMP, fill('FORGED'));
  h.broker.report(2, fill('T-1'));
  await h.until(() => h.reports.length === 2 && h.of('implausible_sequence').length === 1, 'the genuine report');
  assert.deepEqual(h.reports.map(r => r.type), ['acknowledged', 'fill']);
  assert.equal(h.reports[1].type === 'fill' && h.reports[1].tradeId, 'T-1');
  assert.deepEqual([h.of('implausible_sequence')[0].received, h.channel.lastSequence], [2 + MAX_SEQUENCE_JUMP, 2]);
  // Within the bound a jump is still a gap, as before.
  h.broker.report(2 + MAX_SEQUENCE_JUMP, fill('T-2'));
  await h.until(() => h.reports.length === 3, 'a report at the edge of the bound');
  assert.deepEqual(h.of('sequence_gap'), [{ type: 'sequence_gap', expected: 3, received: 2 + MAX_SEQUENCE_JUMP }]);
});

test('a report under a used seq is a repeat only when it carries the report delivered under that seq', async t => {
  const h = await harness(t);
  h.broker.report(1, ack(1));
  h.broker.report(2, fill('T-1', '0.4'));
  h.broker.report(2, fill('T-1', '0.4'));
  h.broker.report(1, ack(1));
  h.broker.report(2, fill('T-2', '0.6'));
  h.broker.report(0, ack(1));
  await h.until(() => h.of('out_of_order').length === 4, 'four out-of-order reports');
  assert.deepEqual(
    h.of('out_of_order').map(e => [e.received, e.duplicate]),
    [
      [2, true],
      [1, true],
      [2, false],
      [0, false],
    ],
  );
  assert.equal(h.reports.length, 2, 'nothing under a used seq is delivered');
});

test('a message of another session on the connection makes the channel reconnect and take the session from the welcome', async t => {
  const h = await harness(t);
  h.broker.welcome = { seq: 5, epoch: 'session-B' };
  h.broker.heartbeat(5, 'session-B');
  await h.until(() => h.of('session_changed').length === 1, 'the new session');
  assert.match(h.of('lost')[0].reason, /session-B/);
  assert.deepEqual(h.of('session_changed')[0], { type: 'session_changed', previousSession: 'session-A', session: 'session-B', lastSeqBefore: 0, welcomeSeq: 5 });
  h.broker.report(6, ack(6), 'session-B');
  await h.until(() => h.reports.length === 1, 'the new session\'s report');
});

test('a read does not wait for a seq of another session, an implausible one, or one a wait already timed out on', async t => {
  const h = await harness(t);
  await settlesWithin(1000, h.channel.waitForSequence(3, 60_000, 'session-OTHER'), 'a wait for another session');
  await settlesWithin(1000, h.channel.waitForSequence(Number.MAX_SAFE_INTEGER, 60_000, 'session-A'), 'a wait for an implausible seq');
  await h.channel.waitForSequence(3, 20, 'session-A');
  await settlesWithin(1000, h.channel.waitForSequence(3, 60_000, 'session-A'), 'a second wait for a seq that timed out');
  const waiting = h.channel.waitForSequence(4, 60_000, 'session-A');
  for (let seq = 1; seq <= 4; seq += 1) h.broker.report(seq, ack(seq));
  await settlesWithin(1000, waiting, 'a wait for reports that come');
  assert.equal(h.channel.lastSequence, 4);
});

test('a welcome of the same session counting less than the channel did is reported, becomes the count, and forgets what was delivered above it', async t => {
  const h = await harness(t);
  for (let seq = 1; seq <= 5; seq += 1) h.broker.report(seq, ack(seq));
  await h.until(() => h.reports.length === 5, 'reports 1 to 5');

  h.broker.welcome = { seq: 2, epoch: 'session-A' };
  h.broker.dropConnections();
  await h.until(() => h.of('connected').length === 2, 'the reconnect');
  assert.deepEqual(h.of('out_of_order'), [{ type: 'out_of_order', received: 2, lastSeq: 5, duplicate: false }]);
  assert.equal(h.channel.lastSequence, 2);

  h.broker.report(3, ack(30));
  await h.until(() => h.reports.length === 6, 'the report after the welcome');
  assert.deepEqual([h.reports[5], h.channel.lastSequence], [{ type: 'acknowledged', clientOrderId: 'CO-30', brokerOrderId: 'B-30', at: AT }, 3]);

  // Report 4 as first delivered belongs to the count the broker took back: seeing it again is not a provable repeat.
  h.broker.heartbeat(5);
  h.broker.report(4, ack(4));
  await h.until(() => h.of('out_of_order').length === 2, 'the report under the taken-back seq');
  assert.deepEqual(h.of('out_of_order')[1], { type: 'out_of_order', received: 4, lastSeq: 5, duplicate: false });
});
