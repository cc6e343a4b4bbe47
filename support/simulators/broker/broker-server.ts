import { IncomingMessage, Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { Clock, Decimal } from '../../../domain/shared';
import { BrokerFill, BrokerServiceStatus } from '../../../domain/execution';
import { BrokerSimulatorCore } from './broker-core';
import { Heartbeats } from './heartbeats';
import { DEFAULT_HTTP_LOG_CAPACITY, HttpLog, HttpLogEntry } from './http-log';
import { ReportStream } from './report-stream';
import { BrokerCredential, BrokerPermission, DEFAULT_RATE_LIMIT, DEFAULT_RECV_WINDOW_MS, RequestAuthenticator } from './request-auth';
import { CapturedRequest, RestApi } from './rest-api';
import { RestRoutes } from './rest-routes';
import { RequestMatch, ScriptedAnswer, ScriptedRestFailures } from './scripted-failures';
import type { RefillTime } from './token-bucket';
import { ServiceStatusSwitch } from './service-status';
import { UserChannel } from './user-channel';
import { MarketDataChannelServer } from '../market';
import type { VenueMarketFeed } from '../market';

export { redactApiKey } from './request-auth';
export type { BrokerCredential, BrokerPermission } from './request-auth';
export type { HttpLogEntry } from './http-log';
export type { RequestMatch, ScriptedAnswer } from './scripted-failures';

export interface BrokerServerOptions {
  core: BrokerSimulatorCore;
  /** The scenario's (virtual) clock: used for the auth timestamp window only. */
  clock: Clock;
  credentials: readonly BrokerCredential[];
  /** |clock.now() - X-Timestamp| above this is refused with TIMESTAMP_OUTSIDE_WINDOW. */
  recvWindowMs?: number;
  /** Token bucket per API key, refilled on refillTime. */
  rateLimit?: { capacity: number; refillPerSecond: number };
  /** The time the buckets refill by: the wall clock unless told (a client's transport time, whose waits may pass at once). */
  refillTime?: RefillTime;
  /** Real time between heartbeats on every user channel. */
  heartbeatIntervalMs?: number;
  /** Structured request log; never carries secrets, signatures or whole API keys. */
  log?: (line: Record<string, unknown>) => void;
  /** How many answered requests httpLog keeps (the last ones). */
  httpLogCapacity?: number;
}

const DEFAULT_HEARTBEAT_MS = 1000;

/**
 * The broker simulator core behind the wire: REST + JSON per wire-protocol.ts with signed requests,
 * per-key rate limits and a maintenance switch, and an authenticated WebSocket user channel that
 * streams the core's reports with one sequence number across connections. Each start is a new
 * session (epoch) whose report numbering starts at 1 again, as a broker process restart does.
 * Scenarios script faults on both (errors, lost or garbled answers, sequence gaps, lost,
 * mispriced or forged fills, misnumbered reports and heartbeats).
 */
export class BrokerServer {
  private readonly core: BrokerSimulatorCore;
  private readonly auth: RequestAuthenticator;
  private readonly status: ServiceStatusSwitch;
  private readonly failures = new ScriptedRestFailures();
  private readonly answered: HttpLog;
  private readonly reports: ReportStream;
  private readonly heartbeats: Heartbeats;
  private readonly channel: UserChannel;
  private readonly rest: RestApi;
  private readonly server: Server;
  private readonly clock: Clock;
  private readonly heartbeatIntervalMs: number;
  private market: MarketDataChannelServer | null = null;
  private listening = false;
  private unsubscribeCore: (() => void) | null = null;

  constructor(options: BrokerServerOptions) {
    this.core = options.core;
    this.clock = options.clock;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS;
    this.auth = new RequestAuthenticator(options.clock, options.recvWindowMs ?? DEFAULT_RECV_WINDOW_MS, options.rateLimit ?? DEFAULT_RATE_LIMIT, options.refillTime);
    this.status = new ServiceStatusSwitch(this.core.name);
    this.answered = new HttpLog(options.httpLogCapacity ?? DEFAULT_HTTP_LOG_CAPACITY, this.core.name, options.log ?? (() => undefined));
    for (const credential of options.credentials) this.auth.addCredential(credential);
    this.reports = new ReportStream(this.core, text => this.channel.broadcast(text));
    this.heartbeats = new Heartbeats(this.heartbeatIntervalMs, this.reports);
    this.channel = new UserChannel(this.auth, this.status, this.answered, () => this.reports.welcomeFrame());
    const routes = new RestRoutes(this.core, this.status);
    this.rest = new RestApi({ auth: this.auth, status: this.status, failures: this.failures, routes, httpLog: this.answered, reports: this.reports });
    this.server = createServer((req, res) => this.rest.onRequest(req, res));
    // The market data path goes to the market data channel once attached; every other path to the user channel, which refuses all but its own.
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => (this.market?.handles(req) ? this.market.onUpgrade(req, socket, head) : this.channel.onUpgrade(req, socket, head)));
    this.server.on('clientError', (_error, socket: Duplex) => socket.destroy());
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
    this.reports.newSession();
    this.heartbeats.restartCount();
    this.unsubscribeCore = this.core.subscribe(report => this.reports.onCoreReport(report));
    this.heartbeats.start();
    this.market?.start();
  }

  get port(): number {
    const address = this.server.address() as AddressInfo | null;
    if (!address) throw new Error('BrokerServer is not listening: call start() first');
    return address.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The seq of the last report sent in this session. */
  get lastReportSeq(): number {
    return this.reports.lastSeq;
  }

  /** The current session's id, as the welcome names it. */
  get session(): string {
    return this.reports.session;
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
    this.heartbeats.clearTimer();
    this.unsubscribeCore?.();
    this.unsubscribeCore = null;
    this.channel.abortUpgrades();
    this.channel.dropAll();
    this.market?.stop();
    const serverClosed = new Promise<void>(resolve => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await serverClosed;
    await this.channel.close();
  }

  /**
   * The venue's public market data on this server's port at MARKET_DATA_CHANNEL_PATH, from the feed
   * given, with heartbeats at the user channel's interval and the scenario's clock; stop() and
   * restart() close its channels too. Returns the channel server, where scenarios script its faults.
   */
  attachMarketData(feed: VenueMarketFeed): MarketDataChannelServer {
    if (this.market) throw new Error(`broker ${this.core.name}: market data is already attached`);
    this.market = new MarketDataChannelServer({ feed, clock: this.clock, heartbeatIntervalMs: this.heartbeatIntervalMs });
    if (this.listening) this.market.start();
    return this.market;
  }

  /** The attached market data channel server (null until attachMarketData). */
  get marketData(): MarketDataChannelServer | null {
    return this.market;
  }

  // ---- control plane ----

  setStatus(status: BrokerServiceStatus, retryAfterSeconds?: number): void {
    this.status.set(status, retryAfterSeconds);
  }

  /** A new limit for every key, each bucket starting full. */
  setRateLimit(limit: { capacity: number; refillPerSecond: number }): void {
    this.auth.setRateLimit(limit);
  }

  revokeKey(key: string): void {
    this.auth.revokeKey(key);
  }

  /** Sets the key's permissions to exactly these (a scenario can take 'trade' away as well as give it). */
  grantPermissions(key: string, permissions: ReadonlyArray<BrokerPermission>): void {
    this.auth.grantPermissions(key, permissions);
  }

  // ---- scripted faults: REST ----

  /** The next `count` matching requests get this answer after auth and rate limit, without reaching the core. */
  failNextRequests(count: number, answer: ScriptedAnswer, match: RequestMatch = {}): void {
    this.failures.failNextRequests(count, answer, match);
  }

  /** The next matching request is carried out, then this body replaces the answer: the caller cannot know the outcome. */
  answerNextWithRaw(body: string, status = 200, match: RequestMatch = {}): void {
    this.failures.answerNextWithRaw(body, status, match);
  }

  /** The next matching request is lost on its way: never authenticated, never carried out, never answered. */
  swallowNextRequest(match: RequestMatch = {}): void {
    this.failures.swallowNextRequest(match);
  }

  /** The next matching request is carried out, but its answer never leaves: the caller times out not knowing. */
  loseNextAnswer(match: RequestMatch = {}): void {
    this.failures.loseNextAnswer(match);
  }

  // ---- scripted faults: user channel ----

  /** Abrupt loss of every user channel: the sockets are destroyed without a close frame. */
  dropUserChannels(): void {
    this.channel.dropAll();
  }

  skipNextSequence(): void {
    this.reports.skipNextSequence();
  }

  /** The next report frame uses up its seq but arrives cut in half: not JSON, so the client cannot read it. */
  garbleNextReport(): void {
    this.reports.garbleNextReport();
  }

  suppressNextFill(): void {
    this.reports.suppressNextFill();
  }

  misreportNextFillPrice(price: Decimal): void {
    this.reports.misreportNextFillPrice(price);
  }

  sendRawFrame(text: string): void {
    this.channel.broadcast(text);
  }

  /** Send again the last report frame whose seq is at most (last seq - seqBack): a lower, already used seq. */
  resendOldFrame(seqBack = 1): void {
    this.reports.resendOldFrame(seqBack);
  }

  /** The next report frame goes out under an already used seq (last seq - seqBack) and uses up no new one. */
  reuseSequenceForNextReport(seqBack = 0): void {
    this.reports.reuseSequenceForNextReport(seqBack);
  }

  /** A heartbeat of this session naming any report seq, as a faulty or hostile broker might send. */
  sendForgedHeartbeat(seq: number): void {
    this.heartbeats.sendForged(seq);
  }

  redeliverLastFill(): void {
    this.reports.redeliverLastFill();
  }

  sendForgedFill(fill: BrokerFill): void {
    this.reports.sendForgedFill(fill);
  }

  stopHeartbeats(): void {
    this.heartbeats.stop();
  }

  resumeHeartbeats(): void {
    this.heartbeats.resume(this.listening);
  }

  // ---- evidence ----

  /** The last httpLogCapacity HTTP requests answered (a refused handshake too; 101 for an accepted one), in order. */
  get httpLog(): ReadonlyArray<HttpLogEntry> {
    return this.answered.entries;
  }

  /** Answered requests that fell out of httpLog to keep it within its capacity. */
  get httpLogDropped(): number {
    return this.answered.dropped;
  }

  /** Told of each answer as it is sent: a scenario waits for the broker to answer a request still on its way. */
  /** Told of each request the broker will never answer: swallowed, or carried out with its answer lost. */
  onUnanswered(listener: (request: { method: string; path: string }, fault: string) => void): () => void {
    return this.answered.onUnanswered((target, fault) => listener({ method: target.method, path: target.pathWithQuery }, fault));
  }

  onAnswered(listener: (entry: HttpLogEntry) => void): () => void {
    return this.answered.onAnswered(listener);
  }

  /**
   * The last order request exactly as it arrived (signed headers and body), for a scenario that
   * replays it as an attacker who captured it would. Kept in memory only, never logged.
   */
  capturedOrderRequest(): CapturedRequest {
    return this.rest.capturedOrderRequest();
  }

  get userChannels(): number {
    return this.channel.openChannels;
  }
}
