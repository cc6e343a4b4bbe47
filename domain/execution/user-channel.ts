import WebSocket from 'ws';
import { TradingError, describeError } from '../shared/errors';
import { BrokerReport } from './broker-gateway';
import { MAX_FRAME_BYTES, decodeChannelMessage } from './wire-protocol';

/** What the user channel saw happen to itself; the trading system records each as an event. */
export type ChannelEvent =
  | { type: 'connected'; attempt: number; resumedFromSeq: number; welcomeSeq: number }
  | { type: 'lost'; reason: string }
  | { type: 'gave_up'; attempts: number; reason: string }
  | { type: 'sequence_gap'; expected: number; received: number }
  | { type: 'out_of_order'; received: number; lastSeq: number }
  | { type: 'message_rejected'; error: TradingError };

export interface UserChannelOptions {
  readonly url: string;
  /** Fresh signed headers for each connection attempt (a nonce is single use). */
  readonly headers: () => Record<string, string>;
  /** No message (heartbeat or report) for this long means the connection is dead. */
  readonly livenessTimeoutMs: number;
  readonly reconnectAttempts: number;
  readonly reconnectBaseDelayMs: number;
  readonly random: () => number;
  readonly onReport: (report: BrokerReport) => void;
  readonly onEvent: (event: ChannelEvent) => void;
}

/**
 * The authenticated WebSocket user channel of a broker: order updates and fills, each with a
 * sequence number, and heartbeats. A silent connection is declared dead by a watchdog; a dropped
 * one is reconnected with backoff; a jump in sequence numbers is reported as a gap so the trading
 * system resynchronises over REST.
 */
export class UserChannel {
  private socket: WebSocket | null = null;
  private lastSeq: number | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private endDelay: (() => void) | null = null;
  private closing = false;
  private connecting: Promise<void> | null = null;
  private readonly seqWaiters = new Set<{ seq: number; resolve: () => void }>();
  private heartbeats = 0;

  constructor(private readonly options: UserChannelOptions) {}

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  get lastSequence(): number {
    return this.lastSeq ?? 0;
  }

  get heartbeatsReceived(): number {
    return this.heartbeats;
  }

  /** Connect, retrying with backoff; resolves once the broker's welcome has arrived. */
  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.connecting) return this.connecting;
    this.closing = false;
    this.connecting = this.connectWithRetries().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  /** Resolves when every report up to seq has been delivered, or after timeoutMs (the caller then reads as is). */
  waitForSequence(seq: number, timeoutMs: number): Promise<void> {
    if (this.lastSequence >= seq || !this.connected) return Promise.resolve();
    return new Promise(resolve => {
      const waiter = { seq, resolve: () => finish() };
      const timer = setTimeout(() => finish(), timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.seqWaiters.delete(waiter);
        resolve();
      };
      this.seqWaiters.add(waiter);
    });
  }

  close(): void {
    this.closing = true;
    this.clearTimers();
    this.endDelay?.();
    this.endDelay = null;
    this.socket?.removeAllListeners();
    this.socket?.on('error', () => undefined);
    this.socket?.terminate();
    this.socket = null;
    for (const waiter of [...this.seqWaiters]) waiter.resolve();
  }

  private async connectWithRetries(): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.options.reconnectAttempts; attempt += 1) {
      if (this.closing) return;
      try {
        await this.open(attempt);
        return;
      } catch (error) {
        lastError = error;
        if (attempt < this.options.reconnectAttempts) await this.delay(this.backoff(attempt));
      }
    }
    const reason = describeError(lastError).message;
    this.options.onEvent({ type: 'gave_up', attempts: this.options.reconnectAttempts, reason });
    throw new TradingError('BrokerUnavailable', `user channel: no connection after ${this.options.reconnectAttempts} attempts: ${reason}`, { channel: 'user' }, { cause: lastError });
  }

  private open(attempt: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.options.url, { headers: this.options.headers(), maxPayload: MAX_FRAME_BYTES * 2, handshakeTimeout: this.options.livenessTimeoutMs });
      let welcomed = false;
      socket.on('unexpected-response', (_request, response) => {
        socket.on('error', () => undefined);
        socket.terminate();
        reject(new TradingError(response.statusCode === 401 || response.statusCode === 403 ? 'Unauthorized' : 'BrokerUnavailable', `user channel refused with HTTP ${response.statusCode}`, { httpStatus: response.statusCode }));
      });
      socket.on('error', error => {
        if (!welcomed) reject(new TradingError('BrokerUnavailable', `user channel: ${error.message}`, {}, { cause: error }));
      });
      socket.on('message', (data, isBinary) => {
        this.armWatchdog(socket);
        const text = isBinary ? '' : data.toString();
        let message;
        try {
          message = decodeChannelMessage(text);
        } catch (error) {
          this.options.onEvent({ type: 'message_rejected', error: error instanceof TradingError ? error : new TradingError('ProtocolError', describeError(error).message) });
          return;
        }
        if (message.type === 'welcome') {
          if (welcomed) return;
          welcomed = true;
          const resumedFromSeq = this.lastSequence;
          this.socket = socket;
          if (this.lastSeq === null) this.lastSeq = message.seq;
          this.options.onEvent({ type: 'connected', attempt, resumedFromSeq, welcomeSeq: message.seq });
          // Reports sent while we were away are not replayed: the caller resynchronises over REST.
          this.lastSeq = Math.max(this.lastSequence, message.seq);
          resolve();
        } else if (message.type === 'heartbeat') {
          this.heartbeats += 1;
          if (welcomed) this.heartbeatSequence(message.seq);
        } else if (welcomed) {
          this.receiveReport(message.seq, message.report);
        }
      });
      socket.on('close', () => {
        if (!welcomed) {
          reject(new TradingError('BrokerUnavailable', 'user channel closed before the welcome'));
          return;
        }
        if (this.socket === socket) this.connectionLost('connection closed by the broker or the network');
      });
      this.armWatchdog(socket);
    });
  }

  private receiveReport(seq: number, report: BrokerReport): void {
    const last = this.lastSequence;
    if (seq <= last) {
      this.options.onEvent({ type: 'out_of_order', received: seq, lastSeq: last });
      return;
    }
    if (seq > last + 1) this.options.onEvent({ type: 'sequence_gap', expected: last + 1, received: seq });
    this.lastSeq = seq;
    this.options.onReport(report);
    for (const waiter of [...this.seqWaiters]) if (seq >= waiter.seq) waiter.resolve();
  }

  /** A heartbeat naming a later report than the last one delivered: that report was lost on the way. */
  private heartbeatSequence(seq: number | undefined): void {
    const last = this.lastSequence;
    if (seq === undefined || seq <= last) return;
    this.options.onEvent({ type: 'sequence_gap', expected: last + 1, received: seq });
    this.lastSeq = seq;
    for (const waiter of [...this.seqWaiters]) if (seq >= waiter.seq) waiter.resolve();
  }

  private armWatchdog(socket: WebSocket): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      socket.on('error', () => undefined);
      socket.terminate();
      if (this.socket === socket) this.connectionLost(`no heartbeat for ${this.options.livenessTimeoutMs} ms`);
    }, this.options.livenessTimeoutMs);
  }

  private connectionLost(reason: string): void {
    this.clearTimers();
    this.socket?.removeAllListeners();
    this.socket?.on('error', () => undefined);
    this.socket = null;
    for (const waiter of [...this.seqWaiters]) waiter.resolve();
    if (this.closing) return;
    this.options.onEvent({ type: 'lost', reason });
    this.connect().catch(() => undefined);
  }

  private backoff(attempt: number): number {
    const base = this.options.reconnectBaseDelayMs * 2 ** (attempt - 1);
    return base * (0.9 + 0.2 * this.options.random());
  }

  /** A reconnect backoff; closing the channel ends it, and the loop then stops. */
  private delay(ms: number): Promise<void> {
    return new Promise(resolve => {
      this.endDelay = resolve;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.endDelay = null;
        resolve();
      }, ms);
    });
  }

  private clearTimers(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
