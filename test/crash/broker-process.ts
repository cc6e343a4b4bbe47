/**
 * The broker of the crash-consistency test, in a process of its own so it outlives every trading
 * system the test kills: the broker simulator's server (signed REST + user channel) behind a
 * loopback network that can hold an order request on its way, and an IPC line on which the test
 * reads the broker's own books. Started with fork(); tells the parent its URL, then answers.
 */
import net from 'node:net';
import { Decimal, SystemClock } from '../../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../../domain/model';
import { API_PREFIX } from '../../domain/execution';
import { BrokerServer } from '../../support/simulators/broker/broker-server';
import { BrokerSimulatorCore } from '../../support/simulators/broker/broker-core';
import { ASKS, BIDS, BROKER_NAME, BrokerBooks, BrokerCommand, BrokerMessage, CREDENTIAL, DEPOSIT, MARK, RECEIVE_WINDOW_MS, SYMBOL } from './protocol';

const ORDERS_PATH = `${API_PREFIX}/orders`;
const HEAD_END = Buffer.from('\r\n\r\n');

function send(message: BrokerMessage): void {
  process.send?.(message);
}

/**
 * Bytes one way on one connection, in order, each piece once its time has come: a piece held never
 * lets the one behind it overtake. When the sender goes, what it sent is still delivered (it was
 * already on the network), then the other side is closed.
 */
class HeldPipe {
  private readonly queue: { bytes: Buffer; dueAt: number }[] = [];
  private lastDueAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(private readonly to: net.Socket) {}

  /** When a piece pushed now would go: after what is already held. */
  dueAt(delayMs: number): number {
    return Math.max(Date.now() + delayMs, this.lastDueAt);
  }

  push(bytes: Buffer, delayMs: number): void {
    const dueAt = this.dueAt(delayMs);
    this.lastDueAt = dueAt;
    this.queue.push({ bytes, dueAt });
    this.release();
  }

  /** Nothing pushed from now on goes before this time: the way back stalls. */
  holdUntil(atMs: number): void {
    this.lastDueAt = Math.max(this.lastDueAt, atMs);
  }

  end(): void {
    this.ended = true;
    this.release();
  }

  private release(): void {
    if (this.timer) return;
    while (this.queue.length > 0) {
      const head = this.queue[0];
      const wait = head.dueAt - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.release();
        }, wait);
        return;
      }
      this.queue.shift();
      if (!this.to.destroyed) this.to.write(head.bytes);
    }
    if (this.ended && !this.to.destroyed) this.to.end();
  }
}

/** How the network treats one order request: held this long on its way, and the way back stalled this long once it is delivered. */
interface OrderHold {
  readonly requestMs: number;
  readonly answerMs: number;
}

/**
 * Loopback TCP from the trading system to the broker server. HTTP requests to the broker are cut
 * out whole, so an order request the test names is held as one piece; after a WebSocket upgrade
 * the bytes are frames, passed on as they come.
 */
class HoldingNetwork {
  private readonly holds = new Map<string, OrderHold>();
  private readonly answers = new Set<HeldPipe>();
  private readonly listener = net.createServer(client => this.accept(client));

  constructor(private readonly brokerPort: number) {}

  /** These holds replace the earlier ones: what a killed process never sent is not held for the next. */
  hold(requests: Readonly<Record<string, number>>, answers: Readonly<Record<string, number>>): void {
    this.holds.clear();
    for (const id of new Set([...Object.keys(requests), ...Object.keys(answers)])) this.holds.set(id, { requestMs: requests[id] ?? 0, answerMs: answers[id] ?? 0 });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen(0, '127.0.0.1', () => resolve());
    });
    return (this.listener.address() as net.AddressInfo).port;
  }

  /** Only the first request under an id is held: a resend by a later process goes at once. */
  private takeHold(body: string): OrderHold | undefined {
    let id: unknown;
    try {
      id = (JSON.parse(body) as { clientOrderId?: unknown }).clientOrderId;
    } catch {
      return undefined;
    }
    if (typeof id !== 'string') return undefined;
    const hold = this.holds.get(id);
    this.holds.delete(id);
    if (hold && hold.requestMs > 0) send({ type: 'request-held', clientOrderId: id });
    return hold;
  }

  private accept(client: net.Socket): void {
    const broker = net.connect(this.brokerPort, '127.0.0.1');
    const toBroker = new HeldPipe(broker);
    const toClient = new HeldPipe(client);
    this.answers.add(toClient);
    for (const socket of [client, broker]) {
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
    }
    let pending = Buffer.alloc(0);
    let raw = false;
    client.on('data', (chunk: Buffer) => {
      if (raw) return toBroker.push(chunk, 0);
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const headEnd = pending.indexOf(HEAD_END);
        if (headEnd < 0) return;
        const head = pending.subarray(0, headEnd).toString('latin1').split('\r\n');
        const [method, path] = head[0].split(' ');
        const headers = new Map(head.slice(1).map(line => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
        if (headers.has('upgrade')) {
          raw = true;
          toBroker.push(pending, 0);
          pending = Buffer.alloc(0);
          return;
        }
        const total = headEnd + HEAD_END.length + Number(headers.get('content-length') ?? 0);
        if (pending.length < total) return;
        const request = pending.subarray(0, total);
        pending = pending.subarray(total);
        const hold = method === 'POST' && path === ORDERS_PATH ? this.takeHold(request.subarray(headEnd + HEAD_END.length).toString('utf8')) : undefined;
        const deliveredAt = toBroker.dueAt(hold?.requestMs ?? 0);
        toBroker.push(request, hold?.requestMs ?? 0);
        // The answer and the reports it causes stall on every connection open now: the sender cannot hear back before it is killed.
        if (hold && hold.answerMs > 0) for (const answers of this.answers) answers.holdUntil(deliveredAt + hold.answerMs);
      }
    });
    client.once('close', () => {
      this.answers.delete(toClient);
      toBroker.end();
    });
    broker.on('data', (chunk: Buffer) => toClient.push(chunk, 0));
    broker.once('end', () => toClient.end());
    broker.once('close', (hadError: boolean) => hadError && client.destroy());
  }
}

async function main(): Promise<void> {
  const clock = new SystemClock();
  const core = new BrokerSimulatorCore({ name: BROKER_NAME, clock, instruments: DEFAULT_INSTRUMENTS });
  core.deposit(new Decimal(DEPOSIT));
  core.setMark(SYMBOL, new Decimal(MARK));
  core.setBook(SYMBOL, 'asks', ASKS.map(l => ({ price: new Decimal(l.price), quantity: new Decimal(l.quantity) })));
  core.setBook(SYMBOL, 'bids', BIDS.map(l => ({ price: new Decimal(l.price), quantity: new Decimal(l.quantity) })));
  const ordersCreated: Record<string, number> = {};
  core.subscribe(report => {
    if (report.type !== 'acknowledged') return;
    ordersCreated[report.clientOrderId] = (ordersCreated[report.clientOrderId] ?? 0) + 1;
    send({ type: 'order-created', clientOrderId: report.clientOrderId });
  });
  const server = new BrokerServer({
    core,
    clock,
    credentials: [{ key: CREDENTIAL.key, secret: CREDENTIAL.secret, permissions: ['read', 'trade'] }],
    recvWindowMs: RECEIVE_WINDOW_MS,
    rateLimit: { capacity: 1_000_000, refillPerSecond: 1_000_000 },
  });
  await server.start();
  const network = new HoldingNetwork(server.port);
  const port = await network.start();

  const books = (): BrokerBooks => {
    if (core.requestsDropped > 0) throw new Error(`the broker's request log dropped ${core.requestsDropped} requests: raise its capacity`);
    return {
      orders: core.allOrders().map(o => ({ clientOrderId: o.clientOrderId, brokerOrderId: o.brokerOrderId, status: o.status, filledQuantity: o.filledQuantity.toString() })),
      ordersCreated: { ...ordersCreated },
      placeRequests: core.requests.filter(r => r.action === 'place').map(r => ({ clientOrderId: r.clientOrderId ?? '', atMs: Date.parse(r.at) })),
      positions: core.positions().map(p => ({ symbol: p.symbol, netQuantity: p.netQuantity.toString(), averageEntryPrice: p.averageEntryPrice.toString() })),
      cash: core.balance().cash.toString(),
      tradeIds: core.fillHistory().map(f => f.tradeId),
    };
  };

  process.on('message', (command: BrokerCommand) => {
    try {
      switch (command.type) {
        case 'books':
          return send({ type: 'books', id: command.id, books: books() });
        case 'delay':
          network.hold(command.requests, command.answers);
          return send({ type: 'done', id: command.id });
        case 'trade-resting': {
          const resting = core.openOrders().filter(o => o.type === 'limit');
          if (resting.length === 0) return send({ type: 'done', id: command.id });
          const order = resting[Math.floor(command.pick * resting.length)];
          const open = order.quantity.minus(order.filledQuantity);
          const half = open.div(2).toDecimalPlaces(3, Decimal.ROUND_DOWN);
          const quantity = command.whole || half.isZero() ? open : half;
          core.tradeAgainst(order.clientOrderId, quantity);
          return send({ type: 'done', id: command.id, traded: { clientOrderId: order.clientOrderId, quantity: quantity.toString() } });
        }
      }
    } catch (error) {
      send({ type: 'failed', id: command.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
  // The test is the only reason to run: when it goes, so does the broker.
  process.on('disconnect', () => {
    void server.stop().finally(() => process.exit(0));
  });
  send({ type: 'listening', url: `http://127.0.0.1:${port}` });
}

main().catch(error => {
  send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
});
