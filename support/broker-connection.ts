import { Clock } from '../domain/shared';
import { Decimal } from '../domain/shared';
import { BrokerFill, BrokerGateway } from '../domain/execution';
import { NetworkBrokerGateway } from '../domain/execution';
import { API_PREFIX } from '../domain/execution';
import { BrokerServer, BrokerSimulatorCore, InProcessBrokerGateway } from './simulators/broker';
import { FaultProxy } from './simulators/network';
import { DEFAULT_SETTINGS } from '../domain/state';

/** The broker's receive window is the one the trading system counts with (its default setting), so both agree when a request can no longer arrive. */
export const SUITE_RECEIVE_WINDOW_MS = Number(DEFAULT_SETTINGS.broker_receive_window_ms);

/** Where the broker serves its REST API: the venue side reads its request log by these paths. */
export { API_PREFIX };

export type BrokerTransport = 'wire' | 'in-process';

/** The wire is the default; BROKER_TRANSPORT=in-process runs the same scenarios without sockets. */
export function brokerTransport(): BrokerTransport {
  const value = process.env.BROKER_TRANSPORT ?? 'wire';
  if (value !== 'wire' && value !== 'in-process') throw new Error(`BROKER_TRANSPORT must be "wire" or "in-process", not "${value}"`);
  return value;
}

/** Timings of the suite's wire gateway: short, so a fault scenario takes a second, not a minute. */
export const SUITE_WIRE_TIMINGS = {
  requestTimeoutMs: 750,
  retry: { attempts: 3, baseDelayMs: 25 },
  livenessTimeoutMs: 1500,
  reconnectAttempts: 5,
  reconnectBaseDelayMs: 25,
  heartbeatIntervalMs: 100,
} as const;

export const TRADER_KEY = 'trader-key';

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
  /** A second route to the same account, for fallback scenarios. */
  readonly apiSecret: string;
}

/**
 * One broker as a scenario sees it: the simulator core, and in wire mode the HTTP + WebSocket
 * server in front of it and the TCP fault proxy between it and the trading system's gateway.
 */
export class BrokerConnection {
  private constructor(
    readonly transport: BrokerTransport,
    private readonly options: BrokerConnectionOptions,
    public gateway: BrokerGateway,
    readonly server: BrokerServer | null,
    readonly proxy: FaultProxy | null,
  ) {}

  static async open(transport: BrokerTransport, options: BrokerConnectionOptions): Promise<BrokerConnection> {
    if (transport === 'in-process') return new BrokerConnection(transport, options, new InProcessBrokerGateway(options.core, { receiveWindowMs: SUITE_RECEIVE_WINDOW_MS }), null, null);
    const server = new BrokerServer({
      core: options.core,
      clock: options.clock,
      credentials: [
        { key: TRADER_KEY, secret: options.apiSecret, permissions: ['read', 'trade'] },
        { key: 'read-only-key', secret: options.apiSecret, permissions: ['read'] },
      ],
      heartbeatIntervalMs: SUITE_WIRE_TIMINGS.heartbeatIntervalMs,
      recvWindowMs: SUITE_RECEIVE_WINDOW_MS,
    });
    await server.start();
    const proxy = new FaultProxy({ name: `${options.name} link`, upstreamHost: '127.0.0.1', upstreamPort: server.port, random: options.random });
    try {
      await proxy.start();
    } catch (error) {
      await server.stop();
      throw error;
    }
    const connection = new BrokerConnection(transport, options, BrokerConnection.wireGateway(options, proxy.port, TRADER_KEY, options.apiSecret), server, proxy);
    await connection.connectGateway();
    return connection;
  }

  private static wireGateway(options: BrokerConnectionOptions, port: number, apiKey: string, apiSecret: string): NetworkBrokerGateway {
    const { requestTimeoutMs, retry, livenessTimeoutMs, reconnectAttempts, reconnectBaseDelayMs } = SUITE_WIRE_TIMINGS;
    return new NetworkBrokerGateway({
      name: options.name,
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey,
      apiSecret,
      clock: options.clock,
      random: options.random,
      requestTimeoutMs,
      retry,
      livenessTimeoutMs,
      reconnectAttempts,
      reconnectBaseDelayMs,
      receiveWindowMs: SUITE_RECEIVE_WINDOW_MS,
    });
  }

  /** The secret the broker holds for the trader's key (a scenario checks it is not guessable). */
  get apiSecret(): string {
    return this.options.apiSecret;
  }

  get wire(): NetworkBrokerGateway {
    if (!(this.gateway instanceof NetworkBrokerGateway)) throw new Error('this scenario needs the wire transport (BROKER_TRANSPORT=wire)');
    return this.gateway;
  }

  get inProcess(): InProcessBrokerGateway {
    if (!(this.gateway instanceof InProcessBrokerGateway)) throw new Error('not an in-process gateway');
    return this.gateway;
  }

  /** Open the gateway's user channel (a no-op in process, or when it is open). */
  async connectGateway(): Promise<void> {
    if (this.gateway instanceof NetworkBrokerGateway) await this.gateway.connect();
  }

  /**
   * The process died with its connections. The next instance gets a new gateway, connected when
   * it starts: what happened in between is only known from the broker's REST history (in process,
   * the gateway lives on).
   */
  async dropAfterCrash(): Promise<void> {
    if (this.transport === 'in-process') return;
    await this.gateway.close();
    this.gateway = BrokerConnection.wireGateway(this.options, this.proxy!.port, TRADER_KEY, this.options.apiSecret);
  }

  /** A gateway with other credentials (a wrong secret, a read-only key), replacing the trader's. */
  async useCredentials(apiKey: string, apiSecret: string): Promise<void> {
    await this.gateway.close();
    this.gateway = BrokerConnection.wireGateway(this.options, this.proxy!.port, apiKey, apiSecret);
  }

  readonly faults: BrokerFaults = {
    unreachableForNextRequest: () => {
      if (this.transport === 'in-process') return this.inProcess.failNextRequest('unavailable');
      // Down until the failure has been recorded: every retry of that one request meets a closed port.
      void this.proxy!.down();
      this.restoreProxyOnNextError = true;
    },
    loseNextRequest: () => (this.transport === 'in-process' ? this.inProcess.failNextRequest('no-answer') : this.server!.swallowNextRequest()),
    timeOutNextRequestBeforeArrival: () => (this.transport === 'in-process' ? this.inProcess.failNextRequest('timeout') : this.server!.swallowNextRequest()),
    timeOutNextOrderRequestBeforeArrival: () =>
      this.transport === 'in-process' ? this.inProcess.failNextOrderRequest('timeout') : this.server!.swallowNextRequest({ method: 'POST', pathPrefix: `${API_PREFIX}/orders` }),
    loseNextAnswer: () => (this.transport === 'in-process' ? this.inProcess.failNextRequest('answer-lost') : this.server!.loseNextAnswer()),
    dropNextFillReport: () => (this.transport === 'in-process' ? this.inProcess.dropNextFillReport() : this.server!.suppressNextFill()),
    misreportNextFillPrice: price => (this.transport === 'in-process' ? this.inProcess.misreportNextFillPrice(price) : this.server!.misreportNextFillPrice(price)),
    deliverForgedFill: fill => (this.transport === 'in-process' ? this.inProcess.deliverForgedFill(fill) : this.server!.sendForgedFill(fill)),
    redeliverLastFill: () => (this.transport === 'in-process' ? this.inProcess.redeliverLastFill() : this.server!.redeliverLastFill()),
  };

  /** Set by an 'unreachable' fault: the World brings the link back once the error is on record. */
  restoreProxyOnNextError = false;

  async restoreProxy(): Promise<void> {
    this.restoreProxyOnNextError = false;
    await this.proxy?.up();
  }

  async close(): Promise<void> {
    await this.gateway.close();
    await this.proxy?.stop();
    await this.server?.stop();
  }
}
