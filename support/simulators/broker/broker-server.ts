import { IncomingHttpHeaders, IncomingMessage, STATUS_CODES, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';
import { Clock } from '../../../domain/shared/clock';
import { Decimal } from '../../../domain/shared/decimal';
import { TradingError } from '../../../domain/shared/errors';
import { BrokerFill, BrokerReport } from '../../../domain/execution/broker-gateway';
import {
  API_PREFIX,
  AUTH_HEADERS,
  BrokerServiceStatus,
  MAX_BODY_BYTES,
  MAX_FILL_PAGE,
  MAX_FRAME_BYTES,
  RATE_LIMIT_HEADERS,
  REPORT_EPOCH_HEADER,
  REPORT_SEQ_HEADER,
  USER_CHANNEL_PATH,
  decodeOrderRequest,
  decodeReplaceRequest,
  encodeBalance,
  encodeBook,
  encodeOrder,
  encodePosition,
  encodeReport,
  parseJson,
  signRequest,
} from '../../../domain/execution/wire-protocol';
import { BrokerRejection, BrokerSimulatorCore } from './broker-core';
import { BoundedLog } from '../bounded-log';

export type BrokerPermission = 'read' | 'trade';

export interface BrokerCredential {
  key: string;
  secret: string;
  permissions: ReadonlyArray<BrokerPermission>;
}

export interface BrokerServerOptions {
  core: BrokerSimulatorCore;
  /** The scenario's (virtual) clock: used for the auth timestamp window only. */
  clock: Clock;
  credentials: readonly BrokerCredential[];
  /** |clock.now() - X-Timestamp| above this is refused with TIMESTAMP_OUTSIDE_WINDOW. */
  recvWindowMs?: number;
  /** Token bucket per API key, refilled in real time. */
  rateLimit?: { capacity: number; refillPerSecond: number };
  /** Real time between heartbeats on every user channel. */
  heartbeatIntervalMs?: number;
  /** Structured request log; never carries secrets, signatures or whole API keys. */
  log?: (line: Record<string, unknown>) => void;
  /** How many answered requests httpLog keeps (the last ones). */
  httpLogCapacity?: number;
}

/** A canned error answer a scenario scripts in place of the broker's own. */
export interface ScriptedAnswer {
  status: number;
  code: string;
  message?: string;
  retryAfterSeconds?: number;
}

/** Which requests a scripted fault applies to; pathPrefix may be absolute or relative to API_PREFIX. */
export interface RequestMatch {
  method?: string;
  pathPrefix?: string;
}

export interface HttpLogEntry {
  method: string;
  path: string;
  status: number;
  code?: string;
  /** Redacted with redactApiKey. */
  key?: string;
  /** The x-ratelimit-remaining the answer carried, when it carried one. */
  remaining?: number;
  /** Wall-clock time the answer was sent. */
  at: string;
}

/** How an API key appears in logs: enough to tell keys apart, never the whole key. */
/** The authentication headers of a request, as sent. */
function authHeadersOf(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.values(AUTH_HEADERS)) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

export function redactApiKey(key: string): string {
  return key.length <= 8 ? '****' : `${key.slice(0, 4)}****${key.slice(-4)}`;
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
  code?: string;
}

interface Target {
  method: string;
  /** Path with query exactly as sent: what the caller signed. */
  pathWithQuery: string;
  pathname: string;
  query: URLSearchParams;
}

interface Account {
  secret: string;
  permissions: Set<BrokerPermission>;
  /** Nonces seen, with their timestamps, oldest first (pruned once outside the window). */
  nonces: Map<string, number>;
  bucket: TokenBucket;
}

type Gate = { ok: true; key: string; rateHeaders: Record<string, string> } | { ok: false; answer: Answer; key?: string };

interface ScriptedFault {
  remaining: number;
  answer: ScriptedAnswer;
  match: RequestMatch;
}

interface RawAnswer {
  body: string;
  status: number;
  match: RequestMatch;
}

interface Route {
  method: string;
  pattern: RegExp;
  handle: (params: string[], target: Target, body: string) => Answer;
}

const DEFAULT_RECV_WINDOW_MS = 5000;
const DEFAULT_RATE_LIMIT = { capacity: 50, refillPerSecond: 20 };
const DEFAULT_HEARTBEAT_MS = 1000;
const DEFAULT_MAINTENANCE_RETRY_S = 60;
const SENT_FRAME_HISTORY = 1000;
const DEFAULT_HTTP_LOG_CAPACITY = 10_000;
/** {"fills":[],"cursor":<15 digits>,"more":false} and then some. */
const FILL_PAGE_ENVELOPE_BYTES = 64;
const TIMESTAMP_TEXT = /^\d{1,15}$/;

/** Token bucket refilled continuously in real time (rate limits are about wall-clock load, not scenario time). */
class TokenBucket {
  private tokens: number;
  private refilledAt = performance.now();

  constructor(readonly capacity: number, private readonly refillPerSecond: number) {
    this.tokens = capacity;
  }

  take(): { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number } {
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.refillPerSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true, remaining: Math.floor(this.tokens) };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.refillPerSecond)) };
  }
}

function errorAnswer(status: number, code: string, message: string, headers: Record<string, string> = {}): Answer {
  return { status, code, body: JSON.stringify({ code, message }), headers };
}

function okAnswer(payload: Record<string, unknown>): Answer {
  return { status: 200, body: JSON.stringify(payload), headers: {} };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function signaturesEqual(expectedHex: string, givenHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'utf8');
  const given = Buffer.from(givenHex, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function matches(match: RequestMatch, target: Target): boolean {
  if (match.method && match.method.toUpperCase() !== target.method) return false;
  const prefix = match.pathPrefix;
  return !prefix || target.pathname.startsWith(prefix) || target.pathname.startsWith(`${API_PREFIX}${prefix}`);
}

function isProtocolError(error: unknown): error is TradingError {
  return error instanceof TradingError && error.kind === 'ProtocolError';
}

/**
 * The broker simulator core behind the wire: REST + JSON per wire-protocol.ts with signed requests,
 * per-key rate limits and a maintenance switch, and an authenticated WebSocket user channel that
 * streams the core's reports with one sequence number across connections. Each start is a new
 * session (epoch) whose report numbering starts at 1 again, as a broker process restart does.
 * Scenarios script faults on both (errors, lost or garbled answers, sequence gaps, lost,
 * mispriced or forged fills, misnumbered reports and heartbeats).
 */
export class BrokerServer {
  private readonly answered: BoundedLog<HttpLogEntry>;
  private readonly answerListeners = new Set<(entry: HttpLogEntry) => void>();
  private readonly core: BrokerSimulatorCore;
  private readonly clock: Clock;
  private readonly recvWindowMs: number;
  private rateLimit: { capacity: number; refillPerSecond: number };
  private readonly heartbeatIntervalMs: number;
  private readonly log: (line: Record<string, unknown>) => void;
  private readonly accounts = new Map<string, Account>();
  private readonly server: Server;
  private channels: WebSocketServer;
  private readonly routes: Route[];
  /** Sockets between 'upgrade' and a WebSocket (or a refusal), so stop() can close them too. */
  private readonly upgrading = new Set<Duplex>();
  private listening = false;
  private serviceStatus: BrokerServiceStatus = 'normal';
  private retryAfterSeconds: number | undefined;
  private faults: ScriptedFault[] = [];
  private rawAnswers: RawAnswer[] = [];
  private swallowedRequests: RequestMatch[] = [];
  private lostAnswers: RequestMatch[] = [];
  private unsubscribeCore: (() => void) | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private lastOrderRequest: { path: string; headers: Record<string, string>; body: string } | null = null;
  private heartbeatsStopped = false;
  private heartbeatCounter = 0;
  private seq = 0;
  /** The session this process run numbers its reports in; a new one on every start. */
  private epoch = '';
  /** For each scripted misnumbering: how far below the last seq the next report frame goes out. */
  private readonly reusedSequences: number[] = [];
  private readonly sentFrames = new BoundedLog<{ seq: number; report: Record<string, unknown> }>(SENT_FRAME_HISTORY);
  private sequencesToSkip = 0;
  private reportsToGarble = 0;
  private fillsToSuppress = 0;
  private misreportedFillPrice: Decimal | null = null;

  constructor(options: BrokerServerOptions) {
    this.core = options.core;
    this.clock = options.clock;
    this.recvWindowMs = options.recvWindowMs ?? DEFAULT_RECV_WINDOW_MS;
    this.rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS;
    this.log = options.log ?? (() => undefined);
    this.answered = new BoundedLog(options.httpLogCapacity ?? DEFAULT_HTTP_LOG_CAPACITY);
    for (const credential of options.credentials) this.addCredential(credential);
    this.routes = this.buildRoutes();
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('clientError', (_error, socket: Duplex) => socket.destroy());
    this.channels = BrokerServer.channelServer();
  }

  private static channelServer(): WebSocketServer {
    return new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  }

  // ---- lifecycle ----

  /** Listen on the port given (0: any free one); a new session starts, its reports numbered from 1. */
  async start(port = 0): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.listening = true;
    this.epoch = randomUUID();
    this.seq = 0;
    this.sentFrames.clear();
    this.heartbeatCounter = 0;
    this.unsubscribeCore = this.core.subscribe(report => this.onCoreReport(report));
    this.startHeartbeats();
  }

  get port(): number {
    const address = this.server.address() as AddressInfo | null;
    if (!address) throw new Error('BrokerServer is not listening: call start() first');
    return address.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The current session's id, as the welcome names it. */
  get session(): string {
    return this.epoch;
  }

  /** A broker process restart: same books (the core) and port, every connection dropped, a new session numbered from 1. */
  async restart(): Promise<void> {
    const port = this.port;
    await this.stop();
    await this.start(port);
  }

  /** Close everything: listener, keep-alive sockets, user channels, half-done upgrades, timers. */
  async stop(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    this.clearHeartbeatTimer();
    this.unsubscribeCore?.();
    this.unsubscribeCore = null;
    for (const socket of this.upgrading) socket.destroy();
    this.upgrading.clear();
    for (const channel of this.channels.clients) channel.terminate();
    const serverClosed = new Promise<void>(resolve => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await serverClosed;
    await new Promise<void>(resolve => this.channels.close(() => resolve()));
    // A closed WebSocketServer refuses every handshake: a fresh one lets start() be called again (on a new port).
    this.channels = BrokerServer.channelServer();
  }

  // ---- control plane ----

  setStatus(status: BrokerServiceStatus, retryAfterSeconds?: number): void {
    this.serviceStatus = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** A new limit for every key, each bucket starting full. */
  setRateLimit(limit: { capacity: number; refillPerSecond: number }): void {
    this.rateLimit = limit;
    for (const account of this.accounts.values()) account.bucket = new TokenBucket(limit.capacity, limit.refillPerSecond);
  }

  revokeKey(key: string): void {
    this.accounts.delete(key);
  }

  /** Sets the key's permissions to exactly these (a scenario can take 'trade' away as well as give it). */
  grantPermissions(key: string, permissions: ReadonlyArray<BrokerPermission>): void {
    const account = this.accounts.get(key);
    if (!account) throw new Error(`BrokerServer: no API key ${redactApiKey(key)} to grant permissions to`);
    account.permissions = new Set(permissions);
  }

  // ---- scripted faults: REST ----

  /** The next `count` matching requests get this answer after auth and rate limit, without reaching the core. */
  failNextRequests(count: number, answer: ScriptedAnswer, match: RequestMatch = {}): void {
    if (!Number.isInteger(count) || count < 1) throw new Error(`failNextRequests: count must be a positive integer, got ${count}`);
    this.faults.push({ remaining: count, answer, match });
  }

  /** The next matching request is carried out, then this body replaces the answer: the caller cannot know the outcome. */
  answerNextWithRaw(body: string, status = 200, match: RequestMatch = {}): void {
    this.rawAnswers.push({ body, status, match });
  }

  /** The next matching request is lost on its way: never authenticated, never carried out, never answered. */
  swallowNextRequest(match: RequestMatch = {}): void {
    this.swallowedRequests.push(match);
  }

  /** The next matching request is carried out, but its answer never leaves: the caller times out not knowing. */
  loseNextAnswer(match: RequestMatch = {}): void {
    this.lostAnswers.push(match);
  }

  // ---- scripted faults: user channel ----

  /** Abrupt loss of every user channel: the sockets are destroyed without a close frame. */
  dropUserChannels(): void {
    for (const channel of this.channels.clients) channel.terminate();
  }

  skipNextSequence(): void {
    this.sequencesToSkip += 1;
  }

  /** The next report frame uses up its seq but arrives cut in half: not JSON, so the client cannot read it. */
  garbleNextReport(): void {
    this.reportsToGarble += 1;
  }

  suppressNextFill(): void {
    this.fillsToSuppress += 1;
  }

  misreportNextFillPrice(price: Decimal): void {
    this.misreportedFillPrice = price;
  }

  sendRawFrame(text: string): void {
    this.broadcast(text);
  }

  /** Send again the last report frame whose seq is at most (last seq - seqBack): a lower, already used seq. */
  resendOldFrame(seqBack = 1): void {
    const highest = this.seq - seqBack;
    const frame = this.sentFrames.toArray().reverse().find(f => f.seq <= highest);
    if (!frame) throw new Error(`resendOldFrame: no report frame at or below seq ${highest} was sent`);
    this.broadcast(JSON.stringify({ type: 'report', seq: frame.seq, epoch: this.epoch, report: frame.report }));
  }

  /** The next report frame goes out under an already used seq (last seq - seqBack) and uses up no new one. */
  reuseSequenceForNextReport(seqBack = 0): void {
    if (!Number.isInteger(seqBack) || seqBack < 0) throw new Error(`reuseSequenceForNextReport: seqBack must be a whole number, got ${seqBack}`);
    this.reusedSequences.push(seqBack);
  }

  /** A heartbeat of this session naming any report seq, as a faulty or hostile broker might send. */
  sendForgedHeartbeat(seq: number): void {
    this.heartbeatCounter += 1;
    this.broadcast(JSON.stringify({ type: 'heartbeat', counter: this.heartbeatCounter, at: new Date().toISOString(), seq, epoch: this.epoch }));
  }

  redeliverLastFill(): void {
    const fills = this.core.fillHistory();
    const last = fills[fills.length - 1];
    if (!last) throw new Error(`broker ${this.core.name} has no fill to send again`);
    this.sendReport(encodeReport(last));
  }

  sendForgedFill(fill: BrokerFill): void {
    this.sendReport(encodeReport(fill));
  }

  stopHeartbeats(): void {
    this.heartbeatsStopped = true;
    this.clearHeartbeatTimer();
  }

  resumeHeartbeats(): void {
    this.heartbeatsStopped = false;
    if (this.listening) this.startHeartbeats();
  }

  /** The last httpLogCapacity HTTP requests answered (a refused handshake too; 101 for an accepted one), in order. */
  get httpLog(): ReadonlyArray<HttpLogEntry> {
    return this.answered.toArray();
  }

  /** Answered requests that fell out of httpLog to keep it within its capacity. */
  get httpLogDropped(): number {
    return this.answered.dropped;
  }

  /** Told of each answer as it is sent: a scenario waits for the broker to answer a request still on its way. */
  onAnswered(listener: (entry: HttpLogEntry) => void): () => void {
    this.answerListeners.add(listener);
    return () => this.answerListeners.delete(listener);
  }

  /**
   * The last order request exactly as it arrived (signed headers and body), for a scenario that
   * replays it as an attacker who captured it would. Kept in memory only, never logged.
   */
  capturedOrderRequest(): { path: string; headers: Record<string, string>; body: string } {
    if (!this.lastOrderRequest) throw new Error('no order request has reached the broker yet');
    return this.lastOrderRequest;
  }

  get userChannels(): number {
    return [...this.channels.clients].filter(c => c.readyState === WebSocket.OPEN).length;
  }

  // ---- REST ----

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const target = this.targetOf(req);
    this.answer(req, target)
      .catch((error: unknown) => ({ answer: errorAnswer(500, 'INTERNAL', `broker simulator failed: ${error instanceof Error ? error.message : String(error)}`), key: undefined }))
      .then(outcome => outcome && this.send(res, target, outcome.answer, outcome.key, startedAt))
      // A scripted answer Node cannot write (status or header out of range) costs the caller its connection, never the server.
      .catch(() => res.destroy());
  }

  private targetOf(req: IncomingMessage): Target {
    const pathWithQuery = req.url ?? '/';
    const url = new URL(pathWithQuery, 'http://127.0.0.1');
    return { method: (req.method ?? 'GET').toUpperCase(), pathWithQuery, pathname: url.pathname, query: url.searchParams };
  }

  /** Check order: maintenance 503, body size 413, auth 401/403, rate limit 429, scripted fault, route. Null: no answer, ever. */
  private async answer(req: IncomingMessage, target: Target): Promise<{ answer: Answer; key?: string } | null> {
    if (!target.pathname.startsWith(`${API_PREFIX}/`)) return { answer: errorAnswer(404, 'NOT_FOUND', `no such path ${target.pathname}`) };
    if (this.takeMatch(this.swallowedRequests, target)) return this.unanswered(target, 'request swallowed');
    const isStatus = target.method === 'GET' && target.pathname === `${API_PREFIX}/status`;
    if (!isStatus && this.serviceStatus === 'maintenance') return { answer: this.maintenanceAnswer() };
    const body = await this.readBody(req);
    if (body === null) return { answer: errorAnswer(413, 'PAYLOAD_TOO_LARGE', `request body is over ${MAX_BODY_BYTES} bytes`, { connection: 'close' }) };
    if (isStatus) {
      const answer = this.afterGate(target, body, {});
      return answer && { answer };
    }
    if (target.method === 'POST' && target.pathname === `${API_PREFIX}/orders`) this.lastOrderRequest = { path: target.pathWithQuery, headers: authHeadersOf(req.headers), body };
    const gate = this.gate(req.headers, target.method, target.pathWithQuery, body);
    if (!gate.ok) return { answer: gate.answer, key: gate.key };
    const answer = this.afterGate(target, body, gate.rateHeaders);
    return answer && { answer, key: gate.key };
  }

  private afterGate(target: Target, body: string, rateHeaders: Record<string, string>): Answer | null {
    const fault = this.takeFault(target);
    const answer = fault ? this.scriptedAnswer(fault) : this.route(target, body);
    if (!fault && this.takeMatch(this.lostAnswers, target)) return this.unanswered(target, 'answer lost');
    const raw = fault ? undefined : this.takeRawAnswer(target);
    const final = raw ? { status: raw.status, body: raw.body, headers: {}, code: 'RAW' } : answer;
    return { ...final, headers: { ...final.headers, ...rateHeaders } };
  }

  /** The body as text, or null when it is over MAX_BODY_BYTES (the rest is discarded, never buffered). */
  private readBody(req: IncomingMessage): Promise<string | null> {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.resolve(null);
    return new Promise(resolve => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) {
          chunks.push(chunk);
          return;
        }
        req.off('data', onData);
        chunks.length = 0;
        resolve(null);
      };
      req.on('data', onData);
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', () => resolve(null));
    });
  }

  private send(res: ServerResponse, target: Target, answer: Answer, key: string | undefined, startedAt: number): void {
    if (res.headersSent || res.destroyed) return;
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(answer.body)),
      ...answer.headers,
    };
    if (target.pathname.startsWith(`${API_PREFIX}/`)) {
      headers[REPORT_SEQ_HEADER] = String(this.seq);
      headers[REPORT_EPOCH_HEADER] = this.epoch;
    }
    res.writeHead(answer.status, headers);
    res.end(answer.body);
    this.record(target, answer, key, performance.now() - startedAt);
  }

  private record(target: Target, answer: Pick<Answer, 'status' | 'code'> & { headers?: Record<string, string> }, key: string | undefined, durationMs: number): void {
    const remaining = answer.headers?.[RATE_LIMIT_HEADERS.remaining];
    const entry: HttpLogEntry = {
      method: target.method,
      path: target.pathWithQuery,
      status: answer.status,
      ...(answer.code ? { code: answer.code } : {}),
      ...(key ? { key: redactApiKey(key) } : {}),
      ...(remaining !== undefined ? { remaining: Number(remaining) } : {}),
      at: new Date().toISOString(),
    };
    this.answered.push(entry);
    for (const listener of [...this.answerListeners]) listener(entry);
    this.log({ event: 'broker.http', broker: this.core.name, ...entry, durationMs: Math.round(durationMs * 1000) / 1000 });
  }

  /** Scripted silence: logged for the evidence, kept out of httpLog (which holds answers only). */
  private unanswered(target: Target, fault: string): null {
    this.log({ event: 'broker.http.unanswered', broker: this.core.name, method: target.method, path: target.pathWithQuery, fault, at: new Date().toISOString() });
    return null;
  }

  private maintenanceAnswer(): Answer {
    const retryAfter = this.retryAfterSeconds ?? DEFAULT_MAINTENANCE_RETRY_S;
    return errorAnswer(503, 'MAINTENANCE', `broker ${this.core.name} is in maintenance`, { [RATE_LIMIT_HEADERS.retryAfter]: String(retryAfter) });
  }

  // ---- auth and rate limit (shared by REST and the user channel) ----

  private gate(headers: IncomingHttpHeaders, method: string, pathWithQuery: string, body: string): Gate {
    const key = headerValue(headers, AUTH_HEADERS.key);
    const timestamp = headerValue(headers, AUTH_HEADERS.timestamp);
    const nonce = headerValue(headers, AUTH_HEADERS.nonce);
    const signature = headerValue(headers, AUTH_HEADERS.signature);
    if (!key || !timestamp || !nonce || !signature) return this.refuse(401, 'UNAUTHORIZED', 'missing authentication headers', key);
    const account = this.accounts.get(key);
    if (!account) return this.refuse(401, 'UNAUTHORIZED', 'unknown or revoked API key', key);
    if (!signaturesEqual(signRequest(account.secret, timestamp, nonce, method, pathWithQuery, body), signature)) {
      return this.refuse(401, 'BAD_SIGNATURE', 'signature does not match the request', key);
    }
    const timestampMs = TIMESTAMP_TEXT.test(timestamp) ? Number(timestamp) : Number.NaN;
    if (Number.isNaN(timestampMs)) return this.refuse(401, 'UNAUTHORIZED', `${AUTH_HEADERS.timestamp} must be milliseconds since the epoch`, key);
    const nowMs = this.clock.now().getTime();
    if (Math.abs(nowMs - timestampMs) > this.recvWindowMs) {
      return this.refuse(401, 'TIMESTAMP_OUTSIDE_WINDOW', `timestamp is ${nowMs - timestampMs} ms from the broker's clock; the window is ${this.recvWindowMs} ms`, key);
    }
    if (!this.acceptNonce(account, nonce, timestampMs, nowMs)) return this.refuse(401, 'NONCE_REUSED', 'nonce already used with this key', key);
    const needed: BrokerPermission = method === 'GET' || method === 'HEAD' ? 'read' : 'trade';
    if (!account.permissions.has(needed)) return this.refuse(403, 'PERMISSION_DENIED', `API key lacks the '${needed}' permission`, key);
    return this.takeToken(account, key);
  }

  private refuse(status: number, code: string, message: string, key: string | undefined): Gate {
    return { ok: false, answer: errorAnswer(status, code, message), key };
  }

  /** A nonce is single use within the window; older ones are forgotten since their timestamp already fails. */
  private acceptNonce(account: Account, nonce: string, timestampMs: number, nowMs: number): boolean {
    for (const [seen, seenAt] of account.nonces) {
      if (Math.abs(nowMs - seenAt) <= this.recvWindowMs) break;
      account.nonces.delete(seen);
    }
    if (account.nonces.has(nonce)) return false;
    account.nonces.set(nonce, timestampMs);
    return true;
  }

  private takeToken(account: Account, key: string): Gate {
    const limit = String(account.bucket.capacity);
    const taken = account.bucket.take();
    if (taken.ok) return { ok: true, key, rateHeaders: { [RATE_LIMIT_HEADERS.limit]: limit, [RATE_LIMIT_HEADERS.remaining]: String(taken.remaining) } };
    const headers = { [RATE_LIMIT_HEADERS.limit]: limit, [RATE_LIMIT_HEADERS.remaining]: '0', [RATE_LIMIT_HEADERS.retryAfter]: String(taken.retryAfterSeconds) };
    return { ok: false, key, answer: errorAnswer(429, 'RATE_LIMITED', `rate limit of ${limit} requests exceeded`, headers) };
  }

  private addCredential(credential: BrokerCredential): void {
    this.accounts.set(credential.key, {
      secret: credential.secret,
      permissions: new Set(credential.permissions),
      nonces: new Map(),
      bucket: new TokenBucket(this.rateLimit.capacity, this.rateLimit.refillPerSecond),
    });
  }

  // ---- scripted REST faults ----

  private takeFault(target: Target): ScriptedFault | undefined {
    const index = this.faults.findIndex(f => matches(f.match, target));
    if (index < 0) return undefined;
    const fault = this.faults[index];
    fault.remaining -= 1;
    if (fault.remaining === 0) this.faults.splice(index, 1);
    return fault;
  }

  private scriptedAnswer(fault: ScriptedFault): Answer {
    const { status, code, message, retryAfterSeconds } = fault.answer;
    const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { [RATE_LIMIT_HEADERS.retryAfter]: String(retryAfterSeconds) };
    return errorAnswer(status, code, message ?? `scripted ${code}`, headers);
  }

  /** Remove and report the first one-shot fault that matches this request. */
  private takeMatch(pending: RequestMatch[], target: Target): boolean {
    const index = pending.findIndex(m => matches(m, target));
    if (index >= 0) pending.splice(index, 1);
    return index >= 0;
  }

  private takeRawAnswer(target: Target): RawAnswer | undefined {
    const index = this.rawAnswers.findIndex(r => matches(r.match, target));
    return index < 0 ? undefined : this.rawAnswers.splice(index, 1)[0];
  }

  // ---- routes ----

  private buildRoutes(): Route[] {
    const core = this.core;
    return [
      { method: 'GET', pattern: /^\/status$/, handle: () => this.statusAnswer() },
      { method: 'POST', pattern: /^\/orders\/cancel-all$/, handle: () => okAnswer({ cancelled: core.cancelAll() }) },
      { method: 'POST', pattern: /^\/orders$/, handle: (_p, _t, body) => this.placeOrder(body) },
      { method: 'GET', pattern: /^\/orders$/, handle: (_p, target) => this.listOrders(target.query) },
      { method: 'GET', pattern: /^\/orders\/([^/]+)$/, handle: ([id]) => this.getOrder(id) },
      { method: 'DELETE', pattern: /^\/orders\/([^/]+)$/, handle: ([id]) => this.cancelOrder(id) },
      { method: 'PATCH', pattern: /^\/orders\/([^/]+)$/, handle: ([id], _t, body) => okAnswer({ order: encodeOrder(core.replaceOrder(id, decodeReplaceRequest(parseJson(body, 'replace request')))) }) },
      { method: 'GET', pattern: /^\/positions$/, handle: () => okAnswer({ positions: core.positions().map(encodePosition) }) },
      { method: 'GET', pattern: /^\/balance$/, handle: () => okAnswer({ balance: encodeBalance(core.balance()) }) },
      { method: 'GET', pattern: /^\/fills$/, handle: (_p, target) => this.listFills(target.query) },
      { method: 'GET', pattern: /^\/book\/([^/]+)$/, handle: ([symbol]) => okAnswer({ book: encodeBook({ symbol, ...core.book(symbol) }) }) },
    ];
  }

  private route(target: Target, body: string): Answer {
    const path = target.pathname.slice(API_PREFIX.length);
    for (const route of this.routes) {
      const found = route.method === target.method ? route.pattern.exec(path) : null;
      if (found) return this.callCore(() => route.handle(found.slice(1).map(decodeURIComponent), target, body));
    }
    return errorAnswer(404, 'NOT_FOUND', `no route ${target.method} ${target.pathname}`);
  }

  /** The venue's refusals become 400s with its reason code (404 for an unknown order); bad input is INVALID_REQUEST. */
  private callCore(run: () => Answer): Answer {
    try {
      return run();
    } catch (error) {
      if (error instanceof BrokerRejection) return errorAnswer(error.code === 'UNKNOWN_ORDER' ? 404 : 400, error.code, error.message);
      if (isProtocolError(error)) return errorAnswer(400, 'INVALID_REQUEST', error.message);
      if (error instanceof URIError) return errorAnswer(400, 'INVALID_REQUEST', 'path is not valid percent-encoding');
      throw error;
    }
  }

  private statusAnswer(): Answer {
    const announceRetry = this.serviceStatus !== 'normal' && this.retryAfterSeconds !== undefined;
    return okAnswer({ status: this.serviceStatus, ...(announceRetry ? { retryAfterSeconds: this.retryAfterSeconds } : {}) });
  }

  private placeOrder(body: string): Answer {
    const request = decodeOrderRequest(parseJson(body, 'order request'));
    const { order, duplicate } = this.core.placeOrder({
      clientOrderId: request.clientOrderId,
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      quantity: request.quantityValue,
      limitPrice: request.limitPriceValue,
      reduceOnly: request.reduceOnly,
    });
    return okAnswer({ order: encodeOrder(order), duplicate });
  }

  private cancelOrder(clientOrderId: string): Answer {
    const outcome = this.core.cancelOrder(clientOrderId);
    if (!outcome.beforeArrival) return okAnswer({ order: encodeOrder(outcome.order) });
    return okAnswer({ cancelledBeforeArrival: { clientOrderId: outcome.clientOrderId, at: outcome.at } });
  }

  private getOrder(clientOrderId: string): Answer {
    const order = this.core.getOrder(clientOrderId);
    return order ? okAnswer({ order: encodeOrder(order) }) : errorAnswer(404, 'UNKNOWN_ORDER', `no order ${clientOrderId}`);
  }

  /** ?status=open lists working orders; no status lists every order the broker knows. */
  private listOrders(query: URLSearchParams): Answer {
    const status = query.get('status');
    if (status !== null && status !== 'open') return errorAnswer(400, 'INVALID_REQUEST', `status filter "${status}" is not supported (only "open")`);
    const orders = status === 'open' ? this.core.openOrders() : this.core.allOrders();
    return okAnswer({ orders: orders.map(encodeOrder) });
  }

  /** A page of the fill history, cut short of MAX_BODY_BYTES: a client that guards its answers can always read one. */
  private listFills(query: URLSearchParams): Answer {
    for (const name of query.keys()) {
      if (name !== 'since' && name !== 'limit') return errorAnswer(400, 'INVALID_REQUEST', `unknown parameter "${name}": only since and limit`);
      if (query.getAll(name).length > 1) return errorAnswer(400, 'INVALID_REQUEST', `${name} is given more than once`);
    }
    const since = query.get('since') ?? '0';
    const limit = query.get('limit') ?? String(MAX_FILL_PAGE);
    if (!/^\d{1,15}$/.test(since)) return errorAnswer(400, 'INVALID_REQUEST', `since must be a whole number, got "${since}"`);
    if (!/^\d{1,15}$/.test(limit) || Number(limit) < 1) return errorAnswer(400, 'INVALID_REQUEST', `limit must be a whole number of at least 1, got "${limit}"`);
    const page = this.core.fills(Number(since), Number(limit));
    const encoded: string[] = [];
    let bytes = FILL_PAGE_ENVELOPE_BYTES;
    for (const fill of page.fills) {
      const text = JSON.stringify(encodeReport(fill));
      bytes += Buffer.byteLength(text) + 1;
      if (bytes > MAX_BODY_BYTES && encoded.length > 0) break;
      encoded.push(text);
    }
    const cursor = Number(since) + encoded.length;
    const more = page.more || encoded.length < page.fills.length;
    return { status: 200, body: `{"fills":[${encoded.join(',')}],"cursor":${cursor},"more":${more}}`, headers: {} };
  }

  // ---- user channel ----

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const startedAt = performance.now();
    socket.on('error', () => undefined);
    this.upgrading.add(socket);
    socket.once('close', () => this.upgrading.delete(socket));
    const target = this.targetOf(req);
    const gate = this.upgradeGate(req, target);
    if (!gate.ok) return this.refuseUpgrade(socket, target, gate, startedAt);
    this.channels.handleUpgrade(req, socket, head, channel => {
      this.upgrading.delete(socket);
      this.record(target, { status: 101 }, gate.key, performance.now() - startedAt);
      this.openChannel(channel);
    });
  }

  private upgradeGate(req: IncomingMessage, target: Target): Gate {
    if (target.pathname !== USER_CHANNEL_PATH) return { ok: false, answer: errorAnswer(404, 'NOT_FOUND', `no channel at ${target.pathname}`) };
    if (this.serviceStatus === 'maintenance') return { ok: false, answer: this.maintenanceAnswer() };
    return this.gate(req.headers, 'GET', target.pathWithQuery, '');
  }

  /** An HTTP answer written straight on the socket, as a venue refuses a WebSocket handshake. */
  private refuseUpgrade(socket: Duplex, target: Target, gate: Extract<Gate, { ok: false }>, startedAt: number): void {
    const { status, body, headers } = gate.answer;
    const lines = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
      'connection: close',
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.once('finish', () => socket.destroy());
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
    this.record(target, gate.answer, gate.key, performance.now() - startedAt);
  }

  private openChannel(channel: WebSocket): void {
    channel.on('error', () => undefined);
    // Clients have nothing to say on the user channel; frames over maxPayload close it with 1009.
    channel.on('message', () => undefined);
    channel.send(JSON.stringify({ type: 'welcome', seq: this.seq, epoch: this.epoch }), () => undefined);
  }

  private onCoreReport(sequenced: BrokerReport & { seq: number }): void {
    const { seq: _coreSeq, ...plain } = sequenced;
    const report = plain as BrokerReport;
    if (report.type === 'fill' && this.fillsToSuppress > 0) {
      this.fillsToSuppress -= 1;
      return;
    }
    this.sendReport(encodeReport(this.maybeMisreport(report)));
  }

  private maybeMisreport(report: BrokerReport): BrokerReport {
    // Only a frame that arrives intact carries the wrong price.
    if (report.type !== 'fill' || !this.misreportedFillPrice || this.sequencesToSkip > 0 || this.reportsToGarble > 0) return report;
    const price = this.misreportedFillPrice;
    this.misreportedFillPrice = null;
    return { ...report, price };
  }

  /** Every report frame takes the next seq, even one a scripted gap keeps from being sent. */
  private sendReport(report: Record<string, unknown>): void {
    const seqBack = this.reusedSequences.shift();
    if (seqBack !== undefined) {
      // A misnumbered frame: it repeats a used seq, so neither the seq nor the history moves.
      return this.broadcast(JSON.stringify({ type: 'report', seq: Math.max(1, this.seq - seqBack), epoch: this.epoch, report }));
    }
    const seq = ++this.seq;
    if (this.sequencesToSkip > 0) {
      this.sequencesToSkip -= 1;
      return;
    }
    const frame = JSON.stringify({ type: 'report', seq, epoch: this.epoch, report });
    if (this.reportsToGarble > 0) {
      this.reportsToGarble -= 1;
      return this.broadcast(frame.slice(0, Math.floor(frame.length / 2)));
    }
    this.sentFrames.push({ seq, report });
    this.broadcast(frame);
  }

  private broadcast(text: string): void {
    for (const channel of this.channels.clients) {
      if (channel.readyState === WebSocket.OPEN) channel.send(text, () => undefined);
    }
  }

  private startHeartbeats(): void {
    if (this.heartbeatTimer || this.heartbeatsStopped) return;
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.heartbeatIntervalMs);
  }

  private heartbeat(): void {
    this.heartbeatCounter += 1;
    // The last sequence number sent rides on every heartbeat, so a lost last report is noticed within one beat.
    this.broadcast(JSON.stringify({ type: 'heartbeat', counter: this.heartbeatCounter, at: new Date().toISOString(), seq: this.seq, epoch: this.epoch }));
  }

  private clearHeartbeatTimer(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }
}
