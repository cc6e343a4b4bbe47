import WebSocket from 'ws';
import { TradingError, describeError } from '../shared';
import { MAX_FRAME_BYTES, ReconnectLoop } from '../execution';
import type { MarketDataFeedEvent, MarketDataMessage, MarketDataSource } from './market-data';
import { MarketDataListeners } from './market-data-listeners';
import { decodeMarketDataRequest, encodeMarketDataRequest } from './market-data-protocol';

export interface NetworkMarketDataFeedOptions {
  readonly name: string;
  /** ws://host:port/api/v1/market: marketDataUrl(broker base URL). */
  readonly url: string;
  /** Connection attempts in a row before giving up, the first one included. */
  readonly reconnectAttempts: number;
  /** The first backoff; each next attempt waits twice as long, with ±10 % seeded jitter. */
  readonly reconnectBaseDelayMs: number;
  readonly random: () => number;
  /** No frame at all (heartbeats included) for this long means the connection is dead; no watchdog when absent. */
  readonly livenessTimeoutMs?: number;
}

function unavailable(message: string, cause?: unknown): TradingError {
  return new TradingError('BrokerUnavailable', `market data channel: ${message}`, { channel: 'market data' }, cause === undefined ? undefined : { cause });
}

function requireWhole(name: string, value: number, least: number): void {
  if (!Number.isSafeInteger(value) || value < least) throw new TradingError('InvalidInput', `market data channel: ${name} must be a whole number of at least ${least}, got ${value}`, { field: name });
}

/**
 * The venue's public market data channel (market-data-protocol.ts), the public sibling of the user
 * channel: no signed headers, one connection at a time, reconnected with backoff when it drops.
 * connect() resolves once the server's initial state is in, which the first heartbeat on a
 * connection marks; the 'connected' event comes right after that heartbeat, so everything before
 * it on a connection is the initial state, fresh snapshots of every book included. Frames that do
 * not decode are reported as message_rejected and the channel stays up. Book numbering is not
 * checked here: the market state does that with a LocalOrderBook and asks for a snapshot on a gap.
 */
export class NetworkMarketDataFeed implements MarketDataSource {
  readonly name: string;
  private readonly listeners = new MarketDataListeners();
  /** The connection being opened or in use. */
  private socket: WebSocket | null = null;
  /** The current connection has delivered its initial state. */
  private live = false;
  /** Ends the attempt under way (its promise rejects with the reason). */
  private abortOpen: ((reason: string) => void) | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly reconnects: ReconnectLoop;

  constructor(private readonly options: NetworkMarketDataFeedOptions) {
    requireWhole('reconnectAttempts', options.reconnectAttempts, 1);
    requireWhole('reconnectBaseDelayMs', options.reconnectBaseDelayMs, 0);
    if (options.livenessTimeoutMs !== undefined) requireWhole('livenessTimeoutMs', options.livenessTimeoutMs, 1);
    this.name = options.name;
    this.reconnects = new ReconnectLoop({ baseDelayMs: options.reconnectBaseDelayMs, random: options.random, connected: () => this.connected, run: () => this.connectWithRetries() });
  }

  get connected(): boolean {
    return this.live && this.socket?.readyState === WebSocket.OPEN;
  }

  /** Connect, retrying with backoff; resolves once the initial state has been delivered, rejects after the last attempt or on close(). */
  connect(): Promise<void> {
    return this.reconnects.connect();
  }

  onMessage(listener: (message: MarketDataMessage) => void): () => void {
    return this.listeners.onMessage(listener);
  }

  onFeedEvent(listener: (event: MarketDataFeedEvent) => void): () => void {
    return this.listeners.onFeedEvent(listener);
  }

  /** Sends the snapshot request; resolves once it is on its way (the snapshot comes as a message), rejects when there is no connection to send it on. */
  requestSnapshot(symbol: string): Promise<void> {
    let request: string;
    try {
      request = encodeMarketDataRequest({ op: 'snapshot', symbol });
      decodeMarketDataRequest(request);
    } catch (error) {
      return Promise.reject(new TradingError('InvalidInput', `market data channel: no snapshot can be asked for symbol ${JSON.stringify(symbol)}: ${describeError(error).message}`, { field: 'symbol' }, { cause: error }));
    }
    const socket = this.socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN) return Promise.reject(unavailable(`not connected, so no snapshot of ${symbol} was asked for`));
    return new Promise((resolve, reject) => socket.send(request, error => (error ? reject(unavailable(`snapshot request for ${symbol} not sent: ${error.message}`, error)) : resolve())));
  }

  /** Stops for good: no reconnect, no timer, no socket left. */
  close(): Promise<void> {
    this.reconnects.close();
    this.abortOpen?.('closed before the initial state arrived');
    this.release();
    return Promise.resolve();
  }

  private async connectWithRetries(): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.options.reconnectAttempts; attempt += 1) {
      if (this.reconnects.closing) throw unavailable('closed');
      try {
        await this.open(attempt);
        return;
      } catch (error) {
        lastError = error;
        if (this.reconnects.closing) throw unavailable('closed');
        if (attempt < this.options.reconnectAttempts) await this.reconnects.wait(attempt);
      }
    }
    if (this.reconnects.closing) throw unavailable('closed');
    const reason = describeError(lastError).message;
    this.listeners.report({ type: 'gave_up', attempts: this.options.reconnectAttempts, reason });
    throw unavailable(`no connection after ${this.options.reconnectAttempts} attempts: ${reason}`, lastError);
  }

  private open(attempt: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.options.url, { maxPayload: MAX_FRAME_BYTES * 2, ...(this.options.livenessTimeoutMs !== undefined ? { handshakeTimeout: this.options.livenessTimeoutMs } : {}) });
      this.socket = socket;
      this.live = false;
      this.abortOpen = reason => {
        this.abortOpen = null;
        this.release();
        reject(unavailable(reason));
      };
      socket.on('unexpected-response', (_request, response) => this.dropped(socket, `refused with HTTP ${response.statusCode}`));
      // After the initial state an error is followed by 'close', which reports the loss.
      socket.on('error', error => {
        if (!this.live) this.dropped(socket, error.message);
      });
      socket.on('close', () => this.dropped(socket, 'connection closed by the venue or the network'));
      socket.on('message', (data, isBinary) => {
        this.armWatchdog(socket);
        if (isBinary) {
          this.listeners.report({ type: 'message_rejected', reason: 'a binary frame: the market data channel speaks JSON text' });
          return;
        }
        const message = this.listeners.receiveFrame(data.toString());
        if (message?.type !== 'heartbeat' || this.live || this.socket !== socket) return;
        this.live = true;
        this.abortOpen = null;
        // Cleared now, not when the retry loop returns, so a loss straight after this starts a fresh loop.
        this.reconnects.markLive();
        this.listeners.report({ type: 'connected', attempt });
        resolve();
      });
      this.armWatchdog(socket);
    });
  }

  /** The connection in use (or being opened) ended: the attempt fails, or a live channel is lost and reconnected. */
  private dropped(socket: WebSocket, reason: string): void {
    if (socket !== this.socket) return;
    if (!this.live) {
      this.abortOpen?.(reason);
      return;
    }
    this.release();
    if (this.reconnects.closing) return;
    this.listeners.report({ type: 'lost', reason });
    this.connect().catch(() => undefined);
  }

  private armWatchdog(socket: WebSocket): void {
    const timeoutMs = this.options.livenessTimeoutMs;
    if (timeoutMs === undefined) return;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.watchdog = null;
      this.dropped(socket, `nothing received for ${timeoutMs} ms`);
    }, timeoutMs);
  }

  /** Lets go of the current socket: no listener of ours left on it, and it is gone at once. */
  private release(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    const socket = this.socket;
    this.socket = null;
    this.live = false;
    if (socket === null) return;
    socket.removeAllListeners();
    socket.on('error', () => undefined);
    socket.terminate();
  }
}
