import type { BrokerServer, BrokerSimulatorCore, HttpLogEntry, RequestMatch, ScriptedAnswer } from '../simulators/broker';
import type { BrokerFaults } from '../broker-connection';
import { API_PREFIX, isOrderRequest } from '../broker-connection';
import type { Decimal } from '../sut';
import type { ScenarioContext } from './scenario-context';
import { LAST_FAULT, markLog } from './broker-events';
import { LAST_ORDER } from './trader';

const ORDER_REQUESTS: RequestMatch = { method: 'POST', pathPrefix: `${API_PREFIX}/orders` };
const POSITION_QUERIES: RequestMatch = { method: 'GET', pathPrefix: `${API_PREFIX}/positions` };
const BALANCE_QUERIES: RequestMatch = { method: 'GET', pathPrefix: `${API_PREFIX}/balance` };
const CANCEL_ALL_REQUESTS: RequestMatch = { method: 'POST', pathPrefix: `${API_PREFIX}/orders/cancel-all` };
/** A cancel of one order: DELETE /orders/{clientOrderId}. */
const CANCEL_REQUESTS: RequestMatch = { method: 'DELETE', pathPrefix: `${API_PREFIX}/orders/` };
/** How many requests using up the quota may take before the broker must have said 429. */
const QUOTA_ATTEMPTS = 1000;

/** An HTTP answer as the Gherkin writes it, "429 RATE_LIMITED"; a 429 asks for no wait, so a scenario does not sleep. */
export function brokerAnswer(text: string): ScriptedAnswer {
  const match = /^(\d{3}) ([A-Z_]+)$/.exec(text);
  if (!match) throw new Error(`expected "<status> <CODE>", got "${text}"`);
  const status = Number(match[1]);
  return { status, code: match[2], ...(status === 429 ? { retryAfterSeconds: 0 } : {}) };
}

/** What the broker's order desk saw: the order requests it answered, those that reached its books, the orders it holds. */
export interface OrderDesk {
  /** "<status> <code>" of each order request answered, in order. */
  readonly answered: readonly string[];
  readonly placed: number;
  readonly booked: number;
}

/**
 * The broker or venue as the Gherkin speaks of it: its books and fills (the simulator), the faults
 * it is scripted to produce, and on the wire its server (the requests it answered, its channel).
 */
export class Venue {
  constructor(private readonly context: ScenarioContext) {}

  /** The broker's own books: orders, fills, positions, balance, market. */
  get books(): BrokerSimulatorCore {
    return this.context.broker;
  }

  /** Faults the order-flow scenarios script, on either transport. */
  get faults(): BrokerFaults {
    return this.context.connection.faults;
  }

  /** The next order requests, as many as given, time out before they reach the broker (the requests in between go through). */
  timeOutNextOrderRequestsBeforeArrival(count: number): void {
    for (let i = 0; i < count; i += 1) this.faults.timeOutNextOrderRequestBeforeArrival();
  }

  /** The broker's HTTP + WebSocket server: only on the wire. */
  private get server(): BrokerServer {
    return this.context.connection.server;
  }

  /** How many requests the broker has answered (counting those its bounded log no longer keeps). */
  requestsAnswered(): number {
    return this.server.httpLogDropped + this.server.httpLog.length;
  }

  /** Remember how many requests the broker had answered, to read the ones after it later. */
  rememberRequests(name: string): void {
    this.context.memory.remember('brokerRequests', name, this.requestsAnswered());
  }

  /** The requests answered since a remembered count. */
  requestsSince(name: string): BrokerServer['httpLog'] {
    const server = this.server;
    return server.httpLog.slice(Math.max(0, this.context.memory.recall('brokerRequests', name) - server.httpLogDropped));
  }

  // ---- answers scripted at the broker's REST API ----

  failNextOrderRequests(count: number, answer: string): void {
    this.server.failNextRequests(count, brokerAnswer(answer), ORDER_REQUESTS);
  }

  /** A failed position query is a fault the system has to answer (a skipped reconciliation): the log is marked. */
  failNextPositionQueries(count: number, answer: string, route = this.context.connection.name): void {
    markLog(this.context, LAST_FAULT);
    this.context.route(route).server.failNextRequests(count, brokerAnswer(answer), POSITION_QUERIES);
  }

  /** A "<status> <CODE>" answer is an HTTP failure; anything else is the body of a 200 the system has to read. */
  answerNextBalanceQueries(count: number, answer: string): void {
    for (let i = 0; i < count; i += 1) {
      if (/^\d{3} /.test(answer)) this.server.failNextRequests(1, brokerAnswer(answer), BALANCE_QUERIES);
      else this.server.answerNextWithRaw(answer, 200, BALANCE_QUERIES);
    }
  }

  /** The broker books the next order, then answers it with an HTTP failure: the system cannot know it was booked. */
  bookNextOrderButAnswer(status: number): void {
    this.server.answerNextWithRaw(JSON.stringify({ code: 'INTERNAL', message: 'the order desk failed after booking the order' }), status, ORDER_REQUESTS);
  }

  failNextCancelAllRequests(count: number, answer: string): void {
    this.server.failNextRequests(count, brokerAnswer(answer), CANCEL_ALL_REQUESTS);
  }

  failNextCancelRequests(count: number, answer: string): void {
    this.server.failNextRequests(count, brokerAnswer(answer), CANCEL_REQUESTS);
  }

  /** The broker carries out the next cancel-all (the kill switch) and answers it with this body. */
  answerNextCancelAllWith(body: string): void {
    this.server.answerNextWithRaw(body, 200, CANCEL_ALL_REQUESTS);
  }

  /** The broker carries out the next order and answers it with this body. */
  answerNextOrderWith(body: string): void {
    this.server.answerNextWithRaw(body, 200, ORDER_REQUESTS);
  }

  limitRequests(capacity: number, refillPerSecond: number): void {
    this.server.setRateLimit({ capacity, refillPerSecond });
  }

  /** Another client of the trader's key asks for the balance until the broker answers 429: the quota is the key's, not the process's. */
  async useUpQuota(): Promise<void> {
    const server = this.server;
    for (let attempt = 0; !server.httpLog.some(r => r.status === 429); attempt += 1) {
      if (attempt === QUOTA_ATTEMPTS) throw new Error(`the broker did not say 429 after ${QUOTA_ATTEMPTS} requests: is a rate limit set?`);
      await this.context.connection.askBalanceWithTradersKey();
    }
  }

  startMaintenance(seconds: number): void {
    this.server.setStatus('maintenance', seconds);
  }

  endMaintenance(): void {
    this.server.setStatus('normal');
  }

  /** What the broker's status endpoint says now. */
  status(): Promise<string> {
    return this.context.connection.serviceStatus();
  }

  // ---- the broker's books moving on their own ----

  /** The market trades against a remembered order at the broker; its reports travel as the link allows. */
  tradeAgainst(orderName: string, symbol: string, quantity: Decimal, times = 1): void {
    const id = this.orderAtBroker(orderName, symbol);
    for (let i = 0; i < times; i += 1) this.books.tradeAgainst(id, quantity);
  }

  /** The broker cancels a remembered order on its own. */
  cancel(orderName: string, symbol: string): void {
    this.books.cancelOrder(this.orderAtBroker(orderName, symbol));
  }

  /** While the system is down the market trades against an order; what the broker answers from then on is read later. */
  tradeWhileSystemIsDown(orderName: string, symbol: string, quantity: Decimal, times: number): void {
    if (this.context.session.isRunning) throw new Error('the trading system is running: this step is for while it is down');
    this.rememberRequests('while the system was down');
    this.tradeAgainst(orderName, symbol, quantity, times);
  }

  /** Money moved at the broker that the system was never told of. */
  debit(amount: Decimal): void {
    this.books.deposit(amount.neg());
  }

  // ---- what the broker received and answered ----

  /** The broker's answers of one status and code. */
  answers(status: number, code: string): HttpLogEntry[] {
    return this.server.httpLog.filter(r => r.status === status && r.code === code);
  }

  /** The order requests answered, placed and booked; for one remembered order when a name is given. */
  orderDesk(orderName?: string): OrderDesk {
    const id = orderName === undefined ? undefined : this.context.memory.recall('order', orderName);
    const answered = this.server.httpLog.filter(isOrderRequest);
    return {
      answered: answered.map(r => `${r.status} ${r.code}`),
      ...this.booksFor(id),
    };
  }

  /** The requests to place an order that reached the broker's books, and the orders it holds, for a remembered order. */
  private booksFor(clientOrderId: string | undefined): { placed: number; booked: number } {
    const mine = (o: { clientOrderId?: string }) => clientOrderId === undefined || o.clientOrderId === clientOrderId;
    return {
      placed: this.books.requests.filter(r => r.action === 'place' && mine(r)).length,
      booked: this.books.allOrders().filter(mine).length,
    };
  }

  /** The same for the last order placed. */
  lastOrderAtBroker(): { placed: number; booked: number } {
    return this.booksFor(this.context.memory.recall('order', LAST_ORDER));
  }

  /** The pages of fill history asked for since the system was down: the status of each, and the cursor each started from. */
  fillHistoryPagesSinceSystemWasDown(): { status: number; since: string | null }[] {
    return this.requestsSince('while the system was down')
      .filter(e => e.path.startsWith(`${API_PREFIX}/fills`))
      .map(e => ({ status: e.status, since: new URL(e.path, 'http://broker').searchParams.get('since') }));
  }

  /** The broker's id of a remembered order, checked against the symbol the Gherkin names. */
  private orderAtBroker(orderName: string, symbol: string): string {
    const id = this.context.memory.recall('order', orderName);
    const order = this.books.allOrders().find(o => o.clientOrderId === id);
    if (!order) throw new Error(`the broker holds no order ${id} (${orderName})`);
    if (order.symbol !== symbol) throw new Error(`${orderName} is for ${order.symbol}, not ${symbol}`);
    return id;
  }
}
