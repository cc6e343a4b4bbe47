import http from 'node:http';
import type { BrokerFill, BrokerRoute, ClientTimings, Clock, Decimal, MarketDataRoute } from './sut';
import { DEFAULT_SETTINGS } from './sut';
import { API_PREFIX, AUTH_HEADERS, BrokerServer, BrokerSimulatorCore, InProcessBrokerGateway, signRequest } from './simulators/broker';
import type { HttpLogEntry } from './simulators/broker';
import { FaultProxy } from './simulators/network';
import { InProcessMarketData, type VenueMarketFeed } from './simulators/market';
import { marketDataUrl } from '../domain/market/market-data-protocol';
import { TransportTime } from './transport-time';

/** The broker's receive window is the one the trading system counts with (its default setting), so both agree when a request can no longer arrive. */
const SUITE_RECEIVE_WINDOW_MS = Number(DEFAULT_SETTINGS.broker_receive_window_ms);

/** Where the broker serves its REST API: the venue side reads its request log by these paths. */
export { API_PREFIX };

export type BrokerTransport = 'wire' | 'in-process';

/** The wire is the default; BROKER_TRANSPORT=in-process runs the same scenarios without sockets. */
export function brokerTransport(): BrokerTransport {
  const value = process.env.BROKER_TRANSPORT ?? 'wire';
  if (value !== 'wire' && value !== 'in-process') throw new Error(`BROKER_TRANSPORT must be "wire" or "in-process", not "${value}"`);
  return value;
}

/**
 * The client timings each wire route offers the system. The deadlines are the gateway's own
 * defaults, so a healthy request never times out on a loaded machine; a fault that withholds an
 * answer lets the route's transport time pass instead of the scenario waiting (TransportTime).
 * The backoffs are short: a reconnect is not a fault's to skip.
 */
export const SUITE_CLIENT_TIMINGS: ClientTimings = {
  requestTimeoutMs: 5000,
  retry: { attempts: 3, baseDelayMs: 25 },
  livenessTimeoutMs: 30_000,
  reconnectAttempts: 5,
  reconnectBaseDelayMs: 25,
  receiveWindowMs: SUITE_RECEIVE_WINDOW_MS,
};

/** How often the broker's server sends a heartbeat on the user channel: well inside the client's liveness timeout. */
const HEARTBEAT_INTERVAL_MS = 100;

/** The market data client's timings: a stall the mark-staleness check must catch is not cut short by a reconnect. */
const MARKET_DATA_TIMINGS = { reconnectAttempts: 5, reconnectBaseDelayMs: 25, livenessTimeoutMs: 60_000 } as const;

/** The keys the broker issued for the account: one to trade with, one that may only read. */
export const TRADER_KEY = 'trader-key';
export const READ_ONLY_KEY = 'read-only-key';

/** What the trading system signs a route's requests with: a key and secret, and a clock this far ahead of the scenario's. */
export interface Signing {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly clockSkewMs: number;
}

/** A part of the venue only the wire has (the broker's server, the network between), or the reason a step cannot run without it. */
function onTheWire<T>(part: T | null): T {
  if (part === null) throw new Error('this step needs the broker on the wire (BROKER_TRANSPORT=wire); tag its scenario @wire-only');
  return part;
}

/** A request to place an order, as the broker's request log has it (not a cancel-all, which is posted under the same path). */
export function isOrderRequest(entry: Pick<HttpLogEntry, 'method' | 'path'>): boolean {
  return entry.method === 'POST' && entry.path === `${API_PREFIX}/orders`;
}

/**
 * Faults the order-flow scenarios script on the way to the broker. In process they are the
 * gateway's scripted outages; on the wire the broker server or the network proxy produces them.
 */
export interface BrokerFaults {
  /** The broker cannot be reached for the next request (connection refused). */
  unreachableForNextRequest(): void;
  /** The next request is lost on its way: never carried out, never answered. */
  loseNextRequest(): void;
  /** The broker carries out the next request, but its answer never arrives. */
  loseNextAnswer(): void;
  /** The next request times out before it reaches the broker (on the wire: lost on the way, the client's timer fires). */
  timeOutNextRequestBeforeArrival(): void;
  /** The same for the next order request only (a submit, or a submit sent again): the requests in between go through. */
  timeOutNextOrderRequestBeforeArrival(): void;
  dropNextFillReport(): void;
  misreportNextFillPrice(price: Decimal): void;
  deliverForgedFill(fill: BrokerFill): void;
  redeliverLastFill(): void;
}

export interface BrokerConnectionOptions {
  readonly name: string;
  readonly core: BrokerSimulatorCore;
  readonly clock: Clock;
  readonly random: () => number;
  /** The secret the broker holds for the account's keys. */
  readonly apiSecret: string;
  /** Resolves once the trading system has recorded its next broker error: an outage of one request lasts until then. */
  readonly nextBrokerError: () => Promise<unknown>;
  /** Resolves once the running system has taken this route's reports up to seq (at once while it is down). */
  readonly untilSystemHasReports: (seq: number) => Promise<void>;
  /** Work no step waits for, kept so that its failure fails the scenario. */
  readonly background: (what: string, work: Promise<unknown>) => void;
  /** The venue's public market data, served on this broker's port (on the wire, behind a fault proxy of its own). */
  readonly marketFeed?: VenueMarketFeed;
}

/** The faults a scenario scripts on the venue's market data, the same on the wire and in process. */
export interface MarketDataFaultControls {
  /** The next book delta (of this symbol, or of any book) is never sent: the system sees a jump in the book's numbering. */
  dropNextBookDelta(symbol?: string): void;
  /** Nothing is sent, heartbeats included, until resume(); what is published meanwhile is lost. */
  stall(): void;
  resume(): void;
  /** The venue drops the connection; the system's client connects again. */
  dropConnections(): void;
}

/**
 * One route to the broker as the venue offers it: the simulator core and, in process, the gateway
 * calling it; on the wire, the HTTP + WebSocket server in front of it and the TCP fault proxy
 * between it and the trading system, whose address the route hands the system.
 */
export class BrokerConnection {
  private closed = false;
  /** The time the system's client for this route runs its timers on, and the broker's request quota refills by. */
  readonly transportTime: TransportTime;
  /** Requests signed by another client of the trader's key: each needs a nonce of its own. */
  private nonces = 0;

  private constructor(
    readonly transport: BrokerTransport,
    private readonly options: BrokerConnectionOptions,
    private readonly inProcessGateway: InProcessBrokerGateway | null,
    private readonly wire: { readonly server: BrokerServer; readonly proxy: FaultProxy; readonly marketProxy: FaultProxy | null } | null,
    transportTime: TransportTime,
  ) {
    this.transportTime = transportTime;
  }

  /** The source the system took at its last start, in process: the faults act on it. */
  private inProcessMarket: InProcessMarketData | null = null;

  static async open(transport: BrokerTransport, options: BrokerConnectionOptions): Promise<BrokerConnection> {
    const transportTime = new TransportTime();
    if (transport === 'in-process') return new BrokerConnection(transport, options, new InProcessBrokerGateway(options.core, { receiveWindowMs: SUITE_RECEIVE_WINDOW_MS }), null, transportTime);
    const server = new BrokerServer({
      core: options.core,
      clock: options.clock,
      credentials: [
        { key: TRADER_KEY, secret: options.apiSecret, permissions: ['read', 'trade'] },
        { key: READ_ONLY_KEY, secret: options.apiSecret, permissions: ['read'] },
      ],
      heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
      recvWindowMs: SUITE_RECEIVE_WINDOW_MS,
      refillTime: () => transportTime.now(),
    });
    // A request the broker will never answer: the system can only wait for its timeout, which passes at once.
    // It runs out after what the broker reported before it reached the system, as a timeout many times a report's delivery does.
    server.onUnanswered(() => {
      const reported = server.lastReportSeq;
      options.background('the timeout of a request the broker will not answer', options.untilSystemHasReports(reported).then(() => transportTime.pass(SUITE_CLIENT_TIMINGS.requestTimeoutMs)));
    });
    if (options.marketFeed) server.attachMarketData(options.marketFeed);
    await server.start();
    const proxy = new FaultProxy({ name: `${options.name} link`, upstreamHost: '127.0.0.1', upstreamPort: server.port, random: options.random });
    const marketProxy = options.marketFeed ? new FaultProxy({ name: `${options.name} market data link`, upstreamHost: '127.0.0.1', upstreamPort: server.port, random: options.random }) : null;
    try {
      await proxy.start();
      await marketProxy?.start();
    } catch (error) {
      await proxy.stop();
      await server.stop();
      throw error;
    }
    return new BrokerConnection(transport, options, null, { server, proxy, marketProxy }, transportTime);
  }

  /** Where the system takes the venue's market data at a start: the channel behind its own proxy, or a new in-process source on the same feed. */
  marketDataRoute(): MarketDataRoute {
    const feed = this.options.marketFeed;
    if (!feed) throw new Error(`the route ${this.name} serves no market data`);
    const name = `${this.name} market data`;
    if (!this.wire) {
      return {
        name,
        transport: 'in-process',
        open: () => {
          this.inProcessMarket = new InProcessMarketData({ name, feed });
          return this.inProcessMarket;
        },
      };
    }
    const proxy = this.wire.marketProxy;
    if (!proxy) throw new Error(`the route ${this.name} serves no market data`);
    return { name, transport: 'wire', url: marketDataUrl(`http://127.0.0.1:${proxy.port}`), ...MARKET_DATA_TIMINGS };
  }

  /** The faults of the venue's market data: the channel server's on the wire, the system's current source's in process. */
  get marketDataFaults(): MarketDataFaultControls {
    if (this.wire) {
      const channel = this.wire.server.marketData;
      if (!channel) throw new Error(`the route ${this.name} serves no market data`);
      return channel;
    }
    if (!this.inProcessMarket) throw new Error('the system has not taken market data from the venue yet');
    return this.inProcessMarket;
  }

  /** The name the trading system knows the route by. */
  get name(): string {
    return this.options.name;
  }

  /** The route handed to the system at a start: on the wire the fault proxy's address and what to sign with; in process the simulator's gateway. */
  route(signing: Signing): BrokerRoute {
    if (!this.wire) {
      // In process the system signs through the simulator's gateway: its clock's skew is the gateway's.
      this.inProcess.setClockSkew(signing.clockSkewMs);
      return { name: this.name, transport: 'in-process', gateway: this.inProcess };
    }
    return {
      name: this.name,
      transport: 'wire',
      endpoint: { baseUrl: `http://127.0.0.1:${this.wire.proxy.port}`, apiKey: signing.apiKey, apiSecret: signing.apiSecret, timings: SUITE_CLIENT_TIMINGS, timers: this.transportTime },
      clockSkewMs: signing.clockSkewMs,
    };
  }

  /** The broker's HTTP + WebSocket server: only on the wire. */
  get server(): BrokerServer {
    return onTheWire(this.wire).server;
  }

  /** The fault proxy between the trading system and the broker's server: only on the wire. */
  get link(): FaultProxy {
    return onTheWire(this.wire).proxy;
  }

  private get inProcess(): InProcessBrokerGateway {
    if (!this.inProcessGateway) throw new Error('not an in-process route');
    return this.inProcessGateway;
  }

  /** The broker's service status, as its (unsigned) status endpoint says it. */
  async serviceStatus(): Promise<string> {
    const answer = await this.get(`${API_PREFIX}/status`, {});
    return (JSON.parse(answer.body) as { status: string }).status;
  }

  /** Another client of the trader's key (the same account's other desk) asks for the balance: it draws on the key's quota. Returns the HTTP status. */
  async askBalanceWithTradersKey(): Promise<number> {
    const path = `${API_PREFIX}/balance`;
    const timestamp = String(this.options.clock.now().getTime());
    const nonce = `other-desk-${(this.nonces += 1)}`;
    const headers = {
      [AUTH_HEADERS.key]: TRADER_KEY,
      [AUTH_HEADERS.timestamp]: timestamp,
      [AUTH_HEADERS.nonce]: nonce,
      [AUTH_HEADERS.signature]: signRequest(this.options.apiSecret, timestamp, nonce, 'GET', path, ''),
    };
    return (await this.get(path, headers)).status;
  }

  /** A GET straight to the broker's server, on a connection of its own. */
  private get(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const { port } = this.server;
    return new Promise((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port, path, method: 'GET', headers, agent: false }, response => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', chunk => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.end();
    });
  }

  readonly faults: BrokerFaults = {
    unreachableForNextRequest: () => {
      if (!this.wire) return this.inProcess.failNextRequest('unavailable');
      this.options.background('the broker unreachable until the request that met it has failed', this.unreachableUntil(this.options.nextBrokerError()));
    },
    loseNextRequest: () => (this.wire ? this.wire.server.swallowNextRequest() : this.inProcess.failNextRequest('no-answer')),
    timeOutNextRequestBeforeArrival: () => (this.wire ? this.wire.server.swallowNextRequest() : this.inProcess.failNextRequest('timeout')),
    timeOutNextOrderRequestBeforeArrival: () =>
      this.wire ? this.wire.server.swallowNextRequest({ method: 'POST', pathPrefix: `${API_PREFIX}/orders` }) : this.inProcess.failNextOrderRequest('timeout'),
    loseNextAnswer: () => (this.wire ? this.wire.server.loseNextAnswer() : this.inProcess.failNextRequest('answer-lost')),
    dropNextFillReport: () => (this.wire ? this.wire.server.suppressNextFill() : this.inProcess.dropNextFillReport()),
    misreportNextFillPrice: price => (this.wire ? this.wire.server.misreportNextFillPrice(price) : this.inProcess.misreportNextFillPrice(price)),
    deliverForgedFill: fill => (this.wire ? this.wire.server.sendForgedFill(fill) : this.inProcess.deliverForgedFill(fill)),
    redeliverLastFill: () => (this.wire ? this.wire.server.redeliverLastFill() : this.inProcess.redeliverLastFill()),
  };

  /** The link is down until the failure it causes is on record (every retry of that one request meets a closed port), then it comes back. */
  private async unreachableUntil(failureRecorded: Promise<unknown>): Promise<void> {
    const { proxy } = onTheWire(this.wire);
    await Promise.all([proxy.down(), failureRecorded]);
    if (!this.closed) await proxy.up();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.inProcessGateway?.close();
    await this.wire?.marketProxy?.stop();
    await this.wire?.proxy.stop();
    await this.wire?.server.stop();
  }
}
