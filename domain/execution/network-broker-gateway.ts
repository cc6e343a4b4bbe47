import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Clock, Decimal, ErrorKind, Timers, TradingError, WALL_CLOCK_TIMERS, describeError, parseDecimal } from '../shared';
import { DEFAULT_SETTINGS } from '../state';
import {
  BrokerBalance,
  BrokerClockReading,
  BrokerGateway,
  BrokerLeverage,
  BrokerOrderRequest,
  BrokerOrderView,
  BrokerPosition,
  BrokerReport,
  CancelAllResult,
  FillPage,
  GatewayEvent,
  OrderBookView,
  SubmitAccepted,
} from './broker-gateway';
import { UserChannel } from './user-channel';
import {
  API_PREFIX,
  AUTH_HEADERS,
  BrokerServiceStatus,
  MAX_BODY_BYTES,
  RATE_LIMIT_HEADERS,
  REPORT_EPOCH_HEADER,
  REPORT_SEQ_HEADER,
  USER_CHANNEL_PATH,
  asObject,
  decodeArray,
  decodeBalance,
  decodeBook,
  decodeCancelAnswer,
  decodeCancelAllAnswer,
  decodeEnvelope,
  decodeError,
  decodeFillPage,
  decodeOrder,
  decodePosition,
  exactFields,
  instant,
  parseJson,
  protocolError,
  signRequest,
  str,
} from './wire-protocol';

export interface RetryPolicy {
  /** Attempts in all, the first included (REFERENCE.md: 3). */
  readonly attempts: number;
  /** Backoff before attempt n+1 is base x 2^(n-1), +-10 % jitter, and never less than Retry-After. */
  readonly baseDelayMs: number;
}

export interface NetworkGatewayOptions {
  readonly name: string;
  /** http://host:port of the broker (or of the network between). */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** Signs request timestamps; the broker checks them against its own clock. */
  readonly clock: Clock;
  /** Seeded generator for backoff jitter (nonces draw nothing from it). */
  readonly random: () => number;
  readonly requestTimeoutMs?: number;
  readonly retry?: RetryPolicy;
  readonly livenessTimeoutMs?: number;
  readonly reconnectAttempts?: number;
  readonly reconnectBaseDelayMs?: number;
  /** How long after its timestamp the broker still takes a request (REFERENCE.md: at most 60 s). */
  readonly receiveWindowMs?: number;
  /** Where request timeouts, backoff and the user channel's liveness run (the wall clock unless told). */
  readonly timers?: Timers;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 1000 };
/** The window the system's own setting assumes when a gateway is not told the broker's. */
export const DEFAULT_RECEIVE_WINDOW_MS = Number(DEFAULT_SETTINGS.broker_receive_window_ms);

type Operation = 'submit' | 'cancel' | 'replace' | 'get-order' | 'open-orders' | 'positions' | 'balance' | 'fills' | 'order-book' | 'cancel-all' | 'status' | 'time' | 'leverage';

/** When the attempt that was answered left and its answer came, by the system's (skewed) clock. */
interface AttemptTiming {
  sentAtMs: number;
  receivedAtMs: number;
}

interface RequestSpec {
  readonly operation: Operation;
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  readonly path: string;
  readonly body?: unknown;
  /** Safe to send again after an unknown outcome (reads, and cancels by id). */
  readonly idempotent: boolean;
  readonly clientOrderId?: string;
  /** The answer a 404 stands for, when a 404 is an answer and not an error. */
  readonly notFound?: () => unknown;
  /** Sign every attempt with this time instead of the clock's (an order request whose signing time is on record). */
  readonly signedAtMs?: number;
  /** Filled in by each attempt, so a reading of the broker's clock is timed by the attempt that was answered, not its retries. */
  readonly timing?: AttemptTiming;
}

interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** GET /time answer: { time } with the broker's clock as an ISO-8601 UTC instant. */
export function decodeBrokerTime(value: unknown): Date {
  const obj = decodeEnvelope(value, 'time answer', ['time']);
  return new Date(instant(obj, 'time', 'time answer'));
}

/** GET /leverage answer: { leverage: [{ symbol, leverage }] }, each leverage a decimal string above zero, no symbol twice. */
export function decodeLeverageList(value: unknown): BrokerLeverage[] {
  const list = decodeArray(value, 'leverage', item => {
    const obj = exactFields(asObject(item, 'leverage entry'), ['symbol', 'leverage'], 'leverage entry');
    const symbol = str(obj, 'symbol', 'leverage entry');
    let leverage: Decimal;
    try {
      leverage = parseDecimal(obj.leverage, 'leverage entry.leverage');
    } catch (error) {
      throw protocolError('leverage entry.leverage must be a decimal string', { field: 'leverage' }, error);
    }
    if (!leverage.gt(0)) throw protocolError(`leverage entry.leverage of ${symbol} must be greater than zero`, { field: 'leverage' });
    return { symbol, leverage };
  });
  const seen = new Set<string>();
  for (const { symbol } of list) {
    if (seen.has(symbol)) throw protocolError(`leverage answer names ${symbol} twice`, { field: 'symbol' });
    seen.add(symbol);
  }
  return list;
}

/** Kinds whose request is known never to have been carried out: safe to send again. */
const NOT_EXECUTED_RETRYABLE: ReadonlySet<ErrorKind> = new Set(['RateLimited', 'BrokerUnavailable']);

/**
 * The broker gateway over the wire: signed REST requests with per-request timeouts and retries
 * that honour Retry-After, and the WebSocket user channel for reports. Every failure is thrown as
 * a TradingError whose kind says what the broker or the network did, with the HTTP status, the
 * venue's reason code and whether the request may have been carried out (`requestSent`).
 */
export class NetworkBrokerGateway implements BrokerGateway {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly reportListeners = new Set<(report: BrokerReport) => void>();
  private readonly eventListeners = new Set<(event: GatewayEvent) => void>();
  private readonly channel: UserChannel;
  private readonly requestTimeoutMs: number;
  private readonly retry: RetryPolicy;
  // A seed replays a run, so nonces come from the OS: unique across restarts, and jitter draws stay as seeded.
  private readonly nonceInstance = randomBytes(12).toString('hex');
  private nonceCounter = 0;
  private timestampOffsetMs = 0;
  private readonly timers: Timers;
  /** Cancels the timers running now: close() stops them all. */
  private readonly pendingTimers = new Set<() => void>();
  private readonly pauseEnders = new Set<() => void>();
  private closed = false;

  constructor(private readonly options: NetworkGatewayOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.timers = options.timers ?? WALL_CLOCK_TIMERS;
    const wsUrl = `${options.baseUrl.replace(/^http/, 'ws')}${USER_CHANNEL_PATH}`;
    this.channel = new UserChannel({
      url: wsUrl,
      headers: () => this.signedHeaders('GET', USER_CHANNEL_PATH, ''),
      livenessTimeoutMs: options.livenessTimeoutMs ?? 30_000,
      reconnectAttempts: options.reconnectAttempts ?? 5,
      reconnectBaseDelayMs: options.reconnectBaseDelayMs ?? 1000,
      random: options.random,
      timers: this.timers,
      onReport: report => {
        for (const listener of this.reportListeners) listener(report);
      },
      onEvent: event => this.emit({ source: 'user channel', ...event }),
    });
  }

  get name(): string {
    return this.options.name;
  }

  get channelConnected(): boolean {
    return this.channel.connected;
  }

  get lastReportSequence(): number {
    return this.channel.lastSequence;
  }

  /** Open the user channel; the gateway is usable for REST before it. */
  async connect(): Promise<void> {
    await this.channel.connect();
  }

  async reconnect(): Promise<void> {
    if (!this.closed) await this.channel.connect();
  }

  /** Sign with a clock that is off by this much (a host whose clock drifted). */
  setClockSkew(ms: number): void {
    this.timestampOffsetMs = ms;
  }

  onReport(listener: (report: BrokerReport) => void): () => void {
    this.reportListeners.add(listener);
    return () => this.reportListeners.delete(listener);
  }

  onEvent(listener: (event: GatewayEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  async submit(request: BrokerOrderRequest): Promise<SubmitAccepted> {
    const body = {
      clientOrderId: request.clientOrderId,
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      quantity: request.quantity.toString(),
      ...(request.limitPrice ? { limitPrice: request.limitPrice.toString() } : {}),
      reduceOnly: request.reduceOnly,
    };
    const signed = request.signedAt ? { signedAtMs: request.signedAt.getTime() } : {};
    const answer = decodeEnvelope(await this.call({ operation: 'submit', method: 'POST', path: '/orders', body, idempotent: false, clientOrderId: request.clientOrderId, ...signed }), 'submit answer', ['order', 'duplicate']);
    const order = decodeOrder(answer.order);
    if (order.clientOrderId !== request.clientOrderId) {
      throw protocolError(`submit answer names order ${order.clientOrderId}, not ${request.clientOrderId}`, { requestSent: true, operation: 'submit', broker: this.name });
    }
    return { clientOrderId: order.clientOrderId, brokerOrderId: order.brokerOrderId };
  }

  /** Resolves once the broker confirms the cancel: of the order, or of its id before the order arrived. */
  async cancel(clientOrderId: string): Promise<void> {
    const answer = decodeCancelAnswer(await this.call({ operation: 'cancel', method: 'DELETE', path: `/orders/${encodeURIComponent(clientOrderId)}`, idempotent: false, clientOrderId }));
    if (answer.clientOrderId !== clientOrderId) throw protocolError(`cancel answer names order ${answer.clientOrderId}, not ${clientOrderId}`, { requestSent: true, operation: 'cancel', broker: this.name });
  }

  async replace(clientOrderId: string, change: { quantity: Decimal; limitPrice?: Decimal }): Promise<void> {
    const body = { quantity: change.quantity.toString(), ...(change.limitPrice ? { limitPrice: change.limitPrice.toString() } : {}) };
    const answer = decodeEnvelope(await this.call({ operation: 'replace', method: 'PATCH', path: `/orders/${encodeURIComponent(clientOrderId)}`, body, idempotent: false, clientOrderId }), 'replace answer', ['order']);
    decodeOrder(answer.order);
  }

  async getOrder(clientOrderId: string): Promise<BrokerOrderView | undefined> {
    const answer = await this.call({
      operation: 'get-order',
      method: 'GET',
      path: `/orders/${encodeURIComponent(clientOrderId)}`,
      idempotent: true,
      clientOrderId,
      notFound: () => undefined,
    });
    if (answer === undefined) return undefined;
    const order = decodeOrder(decodeEnvelope(answer, 'order answer', ['order']).order);
    if (order.clientOrderId !== clientOrderId) throw protocolError(`asked for ${clientOrderId}, got ${order.clientOrderId}`, { operation: 'get-order', broker: this.name });
    return order;
  }

  async openOrders(): Promise<BrokerOrderView[]> {
    return decodeArray(await this.call({ operation: 'open-orders', method: 'GET', path: '/orders?status=open', idempotent: true }), 'orders', decodeOrder);
  }

  async positions(): Promise<BrokerPosition[]> {
    return decodeArray(await this.call({ operation: 'positions', method: 'GET', path: '/positions', idempotent: true }), 'positions', decodePosition);
  }

  async balance(): Promise<BrokerBalance> {
    return decodeBalance(decodeEnvelope(await this.call({ operation: 'balance', method: 'GET', path: '/balance', idempotent: true }), 'balance answer', ['balance']).balance);
  }

  async fills(sinceCursor: number, limit: number): Promise<FillPage> {
    if (!Number.isSafeInteger(sinceCursor) || sinceCursor < 0 || !Number.isSafeInteger(limit) || limit < 1) {
      throw new TradingError('InvalidInput', `fills: cursor must be a whole number and limit a positive one, got ${sinceCursor} and ${limit}`, { operation: 'fills', broker: this.name });
    }
    return decodeFillPage(await this.call({ operation: 'fills', method: 'GET', path: `/fills?since=${sinceCursor}&limit=${limit}`, idempotent: true }), sinceCursor, limit);
  }

  /** GET /time, timed by the attempt that was answered: sentAt and receivedAt by the system's clock, its skew included. */
  async brokerTime(): Promise<BrokerClockReading> {
    const timing: AttemptTiming = { sentAtMs: 0, receivedAtMs: 0 };
    const brokerTime = decodeBrokerTime(await this.call({ operation: 'time', method: 'GET', path: '/time', idempotent: true, timing }));
    return { brokerTime, sentAt: new Date(timing.sentAtMs), receivedAt: new Date(timing.receivedAtMs) };
  }

  async leverage(): Promise<BrokerLeverage[]> {
    return decodeLeverageList(await this.call({ operation: 'leverage', method: 'GET', path: '/leverage', idempotent: true }));
  }

  async orderBook(symbol: string): Promise<OrderBookView> {
    const answer = await this.call({ operation: 'order-book', method: 'GET', path: `/book/${encodeURIComponent(symbol)}`, idempotent: true });
    return decodeBook(decodeEnvelope(answer, 'book answer', ['book']).book);
  }

  async cancelAll(): Promise<CancelAllResult> {
    return decodeCancelAllAnswer(await this.call({ operation: 'cancel-all', method: 'POST', path: '/orders/cancel-all', body: {}, idempotent: true }));
  }

  /** The broker's own word on its state (unsigned; answered even in maintenance). */
  async status(): Promise<{ status: BrokerServiceStatus; retryAfterSeconds?: number }> {
    const raw = await this.send('GET', `${API_PREFIX}/status`, '', false);
    const obj = decodeEnvelope(parseJson(raw.body, 'status answer'), 'status answer', ['status', 'retryAfterSeconds']);
    if (obj.status !== 'normal' && obj.status !== 'degraded' && obj.status !== 'maintenance') throw protocolError(`unknown broker status ${JSON.stringify(obj.status)}`);
    return { status: obj.status, ...(typeof obj.retryAfterSeconds === 'number' ? { retryAfterSeconds: obj.retryAfterSeconds } : {}) };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.channel.close();
    for (const cancel of this.pendingTimers) cancel();
    this.pendingTimers.clear();
    for (const end of this.pauseEnders) end();
    this.pauseEnders.clear();
    this.agent.destroy();
    this.reportListeners.clear();
  }

  // ---- REST with retries ----

  private async call(spec: RequestSpec): Promise<unknown> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.attempt(spec);
      } catch (error) {
        if (!(error instanceof TradingError) || attempt >= this.retry.attempts || !this.mayRetry(spec, error)) throw error;
        const delayMs = this.backoff(attempt, error);
        // A request signed at a time on record keeps that time: sent after the broker's window it would only be refused, so the caller decides anew.
        if (spec.signedAtMs !== undefined && this.options.clock.now().getTime() + delayMs - spec.signedAtMs >= (this.options.receiveWindowMs ?? DEFAULT_RECEIVE_WINDOW_MS)) throw error;
        this.emit({ source: 'rest', type: 'retry', operation: spec.operation, attempt, delayMs: Math.round(delayMs), errorKind: error.kind, ...(spec.clientOrderId ? { clientOrderId: spec.clientOrderId } : {}) });
        await this.pause(delayMs);
      }
    }
  }

  /** Send again only what cannot create a second order: a request never carried out, or a read. */
  private mayRetry(spec: RequestSpec, error: TradingError): boolean {
    if (this.closed) return false;
    if (NOT_EXECUTED_RETRYABLE.has(error.kind) && error.details.requestSent !== true) return true;
    return spec.idempotent && (error.kind === 'Timeout' || error.kind === 'BrokerUnavailable');
  }

  private backoff(attempt: number, error: TradingError): number {
    const exponential = this.retry.baseDelayMs * 2 ** (attempt - 1) * (0.9 + 0.2 * this.options.random());
    const retryAfterMs = typeof error.details.retryAfterMs === 'number' ? error.details.retryAfterMs : 0;
    return Math.max(exponential, retryAfterMs);
  }

  private async attempt(spec: RequestSpec): Promise<unknown> {
    const path = `${API_PREFIX}${spec.path}`;
    const body = spec.body === undefined ? '' : JSON.stringify(spec.body);
    const context = { broker: this.name, operation: spec.operation, ...(spec.clientOrderId ? { clientOrderId: spec.clientOrderId } : {}) };
    let raw: RawResponse;
    if (spec.timing) spec.timing.sentAtMs = this.systemNowMs();
    try {
      raw = await this.send(spec.method, path, body, true, spec.signedAtMs);
    } catch (error) {
      throw this.transportError(error, context);
    }
    if (spec.timing) spec.timing.receivedAtMs = this.systemNowMs();
    if (raw.status === 404 && spec.notFound) {
      await this.catchUpWithReports(raw);
      return spec.notFound();
    }
    if (raw.status >= 200 && raw.status < 300) {
      const parsed = this.parseAnswer(raw, context);
      await this.catchUpWithReports(raw);
      return parsed;
    }
    throw this.httpError(raw, context);
  }

  private parseAnswer(raw: RawResponse, context: Record<string, unknown>): unknown {
    try {
      return parseJson(raw.body, `${context.operation} answer`);
    } catch (error) {
      // The broker answered 2xx but the answer cannot be read: it may have done what was asked.
      throw protocolError(`${context.operation} answer is not JSON`, { ...context, requestSent: true, httpStatus: raw.status }, error);
    }
  }

  /**
   * The broker stamps each answer with the sequence number of its last report and its session.
   * Waiting until the channel has delivered that far makes a read agree with the reports sent
   * before it; the channel does not wait for a seq of another session or one it cannot expect.
   */
  private async catchUpWithReports(raw: RawResponse): Promise<void> {
    const header = raw.headers[REPORT_SEQ_HEADER];
    const epoch = raw.headers[REPORT_EPOCH_HEADER];
    const seq = typeof header === 'string' ? Number(header) : NaN;
    if (Number.isSafeInteger(seq) && seq > this.channel.lastSequence) await this.channel.waitForSequence(seq, this.requestTimeoutMs, typeof epoch === 'string' ? epoch : undefined);
  }

  private httpError(raw: RawResponse, context: Record<string, unknown>): TradingError {
    let wire: { code: string; message: string };
    try {
      wire = decodeError(parseJson(raw.body, 'error answer'));
    } catch {
      wire = { code: `HTTP_${raw.status}`, message: raw.body.slice(0, 120) };
    }
    const retryAfter = Number(raw.headers[RATE_LIMIT_HEADERS.retryAfter]);
    const details = {
      ...context,
      httpStatus: raw.status,
      reasonCode: wire.code,
      ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}),
      ...(raw.headers[RATE_LIMIT_HEADERS.remaining] !== undefined ? { remainingQuota: Number(raw.headers[RATE_LIMIT_HEADERS.remaining]) } : {}),
    };
    const text = `broker ${this.name} answered ${context.operation} with HTTP ${raw.status} ${wire.code}${wire.message ? `: ${wire.message}` : ''}`;
    if (raw.status === 429) return new TradingError('RateLimited', text, details);
    if (raw.status === 401 || raw.status === 403) return new TradingError('Unauthorized', text, details);
    if (raw.status === 503 && wire.code === 'MAINTENANCE') return new TradingError('BrokerUnavailable', text, { ...details, maintenance: true });
    if (raw.status >= 500) return new TradingError('BrokerUnavailable', text, { ...details, requestSent: true });
    if (raw.status === 413) return new TradingError('ProtocolError', text, details);
    return new TradingError('BrokerRejected', text, details);
  }

  private transportError(error: unknown, context: Record<string, unknown>): TradingError {
    if (error instanceof TradingError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    const sent = (error as { requestSent?: boolean }).requestSent === true;
    if (code === 'ECONNREFUSED') return new TradingError('BrokerUnavailable', `broker ${this.name} is unavailable: connection refused`, { ...context, requestSent: false }, { cause: error });
    return new TradingError('BrokerUnavailable', `broker ${this.name}: connection failed during ${context.operation}: ${describeError(error).message}`, { ...context, requestSent: sent }, { cause: error });
  }

  /**
   * A kept-alive socket the other side already closed fails at once with ECONNRESET before any byte
   * of an answer: the request never reached the broker, so it is sent again on a fresh connection.
   */
  private async send(method: string, path: string, body: string, signed: boolean, signedAtMs?: number): Promise<RawResponse> {
    try {
      return await this.sendOnce(method, path, body, signed, signedAtMs);
    } catch (error) {
      if ((error as { staleSocket?: boolean }).staleSocket !== true) throw error;
      return this.sendOnce(method, path, body, signed, signedAtMs);
    }
  }

  private sendOnce(method: string, path: string, body: string, signed: boolean, signedAtMs?: number): Promise<RawResponse> {
    if (this.closed) return Promise.reject(new TradingError('BrokerUnavailable', `broker ${this.name}: gateway is closed`, { requestSent: false }));
    const url = new URL(path, this.options.baseUrl);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(signed ? this.signedHeaders(method, path, body, signedAtMs) : {}) };
    if (body) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise<RawResponse>((resolve, reject) => {
      let requestSent = false;
      let answered = false;
      const request = http.request(url, { method, headers, agent: this.agent });
      const cancel = this.timers.deadline(this.requestTimeoutMs, () => {
        this.pendingTimers.delete(cancel);
        request.destroy(new TradingError('Timeout', `broker ${this.name}: no answer to ${method} ${url.pathname} within ${this.requestTimeoutMs} ms`, { requestSent, timeoutMs: this.requestTimeoutMs }));
      });
      this.pendingTimers.add(cancel);
      const done = () => {
        cancel();
        this.pendingTimers.delete(cancel);
      };
      request.on('error', error => {
        done();
        if (error instanceof TradingError) {
          reject(new TradingError(error.kind, error.message, { ...error.details, requestSent }));
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        const staleSocket = request.reusedSocket && !answered && (code === 'ECONNRESET' || code === 'EPIPE');
        reject(Object.assign(error, { requestSent: staleSocket ? false : requestSent, staleSocket }));
      });
      request.on('finish', () => {
        requestSent = true;
      });
      request.on('response', response => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            done();
            response.destroy();
            request.destroy();
            reject(protocolError(`answer to ${method} ${url.pathname} is over ${MAX_BODY_BYTES} bytes`, { requestSent: true, httpStatus: response.statusCode }));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          done();
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', error => {
          done();
          reject(Object.assign(error, { requestSent: true }));
        });
      });
      request.end(body);
    });
  }

  /** The system's clock as this host reads it: the clock, off by the skew set. */
  private systemNowMs(): number {
    return this.options.clock.now().getTime() + this.timestampOffsetMs;
  }

  private signedHeaders(method: string, path: string, body: string, signedAtMs = this.options.clock.now().getTime()): Record<string, string> {
    const timestamp = String(signedAtMs + this.timestampOffsetMs);
    const nonce = `${this.name}-${this.nonceInstance}-${++this.nonceCounter}`;
    return {
      [AUTH_HEADERS.key]: this.options.apiKey,
      [AUTH_HEADERS.timestamp]: timestamp,
      [AUTH_HEADERS.nonce]: nonce,
      [AUTH_HEADERS.signature]: signRequest(this.options.apiSecret, timestamp, nonce, method, path, body),
    };
  }

  /** A backoff wait; closing the gateway ends it at once, and the retry then fails as closed. */
  private pause(ms: number): Promise<void> {
    return new Promise(resolve => {
      const cancel = this.timers.delay(ms, () => {
        this.pendingTimers.delete(cancel);
        this.pauseEnders.delete(resolve);
        resolve();
      });
      this.pendingTimers.add(cancel);
      this.pauseEnders.add(resolve);
    });
  }

  private emit(event: GatewayEvent): void {
    for (const listener of this.eventListeners) listener(event);
  }
}
