import WebSocket from 'ws';
import { Timers, TradingError, WALL_CLOCK_TIMERS, describeError } from '../shared';
import { BrokerReport } from './broker-gateway';
import { MAX_FRAME_BYTES, decodeChannelMessage } from './wire-protocol';
import { ReconnectLoop } from './channel-reconnect';

/** What the user channel saw happen to itself; the trading system records each as an event. */
export type ChannelEvent =
  | { type: 'connected'; attempt: number; resumedFromSeq: number; welcomeSeq: number; session: string }
  /** The welcome named another session than the last one (a broker restart): numbering started again. */
  | { type: 'session_changed'; previousSession: string; session: string; lastSeqBefore: number; welcomeSeq: number }
  | { type: 'lost'; reason: string }
  | { type: 'gave_up'; attempts: number; reason: string }
  | { type: 'sequence_gap'; expected: number; received: number }
  /** A seq too far ahead to be a gap (or a lie): not taken as the last one, the message is not delivered. */
  | { type: 'implausible_sequence'; lastSeq: number; received: number }
  /** duplicate: the report is provably the one already delivered under that seq in this session. */
  | { type: 'out_of_order'; received: number; lastSeq: number; duplicate: boolean }
  | { type: 'message_rejected'; error: TradingError };

/** More reports than this lost on one live connection is not a gap: the seq is wrong. */
export const MAX_SEQUENCE_JUMP = 10_000;
/** How many recently delivered reports are remembered to tell a repeat from a misnumbered report. */
const DELIVERED_WINDOW = 1024;

export interface UserChannelOptions {
  readonly url: string;
  /** Fresh signed headers for each connection attempt (a nonce is single use). */
  readonly headers: () => Record<string, string>;
  /** No message (heartbeat or report) for this long means the connection is dead. */
  readonly livenessTimeoutMs: number;
  readonly reconnectAttempts: number;
  readonly reconnectBaseDelayMs: number;
  readonly random: () => number;
  /** Where the liveness watchdog and the waits for a report run (the wall clock unless told). */
  readonly timers?: Timers;
  readonly onReport: (report: BrokerReport) => void;
  readonly onEvent: (event: ChannelEvent) => void;
  /** Defaults to MAX_SEQUENCE_JUMP. */
  readonly maxSequenceJump?: number;
}

/** What identifies a decoded report: every field, Decimals as their canonical strings. */
function fingerprint(report: BrokerReport): string {
  return JSON.stringify(report);
}

/**
 * The authenticated WebSocket user channel of a broker: order updates and fills, each with a
 * sequence number, and heartbeats. A silent connection is declared dead by a watchdog; a dropped
 * one is reconnected with backoff; a jump in sequence numbers is reported as a gap so the trading
 * system resynchronises over REST. Sequence numbers count within a broker session named by the
 * welcome: a new session starts the count again. A repeated seq is dropped, and reported as a
 * repeat only when it carries the report already delivered under it; a seq implausibly far ahead
 * is reported and never becomes the last one.
 */
export class UserChannel {
  private socket: WebSocket | null = null;
  private lastSeq: number | null = null;
  private session: string | null = null;
  /** Recently delivered reports of this session, seq -> report, oldest first (compared only when a seq repeats). */
  private readonly delivered = new Map<number, BrokerReport>();
  /** The last implausible seq reported, so a broker repeating it on every heartbeat is reported once. */
  private lastImplausible: number | null = null;
  /** Highest seq a wait timed out for: the channel is not going to deliver it, so no read waits for it again. */
  private abandonedSeq = 0;
  private readonly maxJump: number;
  private readonly timers: Timers;
  /** Cancels the liveness watchdog armed for the connection's last message. */
  private watchdog: (() => void) | null = null;
  private readonly reconnects: ReconnectLoop;
  private readonly seqWaiters = new Set<{ seq: number; resolve: () => void }>();
  private heartbeats = 0;

  constructor(private readonly options: UserChannelOptions) {
    this.maxJump = options.maxSequenceJump ?? MAX_SEQUENCE_JUMP;
    this.timers = options.timers ?? WALL_CLOCK_TIMERS;
    this.reconnects = new ReconnectLoop({ baseDelayMs: options.reconnectBaseDelayMs, random: options.random, connected: () => this.connected, run: () => this.connectWithRetries() });
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  get lastSequence(): number {
    return this.lastSeq ?? 0;
  }

  /** The broker session the last welcome named (null before the first). */
  get currentSession(): string | null {
    return this.session;
  }

  get heartbeatsReceived(): number {
    return this.heartbeats;
  }

  /** Connect, retrying with backoff; resolves once the broker's welcome has arrived. */
  connect(): Promise<void> {
    return this.reconnects.connect();
  }

  /**
   * Resolves when every report up to seq (of the session named, when named) has been delivered, or
   * after timeoutMs (the caller then reads as is). A seq of another session, implausibly far ahead,
   * or one a wait already timed out for is not waited for: those reports are not coming here.
   */
  waitForSequence(seq: number, timeoutMs: number, session?: string): Promise<void> {
    if (this.lastSequence >= seq || !this.connected) return Promise.resolve();
    if ((session !== undefined && session !== this.session) || seq > this.lastSequence + this.maxJump || seq <= this.abandonedSeq) return Promise.resolve();
    return new Promise(resolve => {
      const waiter = { seq, resolve: () => finish(false) };
      const cancel = this.timers.deadline(timeoutMs, () => finish(true));
      const finish = (timedOut: boolean) => {
        cancel();
        this.seqWaiters.delete(waiter);
        if (timedOut && this.lastSequence < seq) this.abandonedSeq = Math.max(this.abandonedSeq, seq);
        resolve();
      };
      this.seqWaiters.add(waiter);
    });
  }

  close(): void {
    this.reconnects.close();
    this.clearTimers();
    this.socket?.removeAllListeners();
    this.socket?.on('error', () => undefined);
    this.socket?.terminate();
    this.socket = null;
    for (const waiter of [...this.seqWaiters]) waiter.resolve();
  }

  private async connectWithRetries(): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.options.reconnectAttempts; attempt += 1) {
      if (this.reconnects.closing) return;
      try {
        await this.open(attempt);
        return;
      } catch (error) {
        lastError = error;
        if (attempt < this.options.reconnectAttempts) await this.reconnects.wait(attempt);
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
          this.welcome(message.seq, message.epoch);
          this.options.onEvent({ type: 'connected', attempt, resumedFromSeq, welcomeSeq: message.seq, session: message.epoch });
          resolve();
          return;
        }
        if (message.type === 'heartbeat') this.heartbeats += 1;
        if (!welcomed) return;
        if (message.epoch !== undefined && message.epoch !== this.session) {
          this.foreignSession(socket, message.epoch);
        } else if (message.type === 'heartbeat') {
          this.heartbeatSequence(message.seq);
        } else {
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

  /** The welcome's session and seq: the first sets the count, a new session restarts it, the same one resumes it. */
  private welcome(seq: number, epoch: string): void {
    const previous = this.session;
    const lastSeqBefore = this.lastSequence;
    if (previous !== null && previous !== epoch) {
      this.startSession(epoch, seq);
      this.options.onEvent({ type: 'session_changed', previousSession: previous, session: epoch, lastSeqBefore, welcomeSeq: seq });
      return;
    }
    if (previous === null) {
      this.startSession(epoch, seq);
      return;
    }
    if (seq < lastSeqBefore) {
      // The broker says it sent less than this channel counted in the same session: its word is the count from now on.
      this.options.onEvent({ type: 'out_of_order', received: seq, lastSeq: lastSeqBefore, duplicate: false });
      for (const delivered of [...this.delivered.keys()]) if (delivered > seq) this.delivered.delete(delivered);
      this.lastSeq = seq;
      // Waits given up above the new count, and an implausible seq seen, belong to the count the broker took back.
      this.abandonedSeq = Math.min(this.abandonedSeq, seq);
      this.lastImplausible = null;
      return;
    }
    // Reports sent while we were away are not replayed: the caller resynchronises over REST.
    this.lastSeq = seq;
  }

  private startSession(epoch: string, seq: number): void {
    this.session = epoch;
    this.lastSeq = seq;
    this.delivered.clear();
    this.lastImplausible = null;
    this.abandonedSeq = 0;
  }

  private receiveReport(seq: number, report: BrokerReport): void {
    const last = this.lastSequence;
    if (seq <= last) {
      this.options.onEvent({ type: 'out_of_order', received: seq, lastSeq: last, duplicate: this.isRepeat(seq, report) });
      return;
    }
    if (seq > last + this.maxJump) return this.implausible(seq);
    if (seq > last + 1) this.options.onEvent({ type: 'sequence_gap', expected: last + 1, received: seq });
    this.lastSeq = seq;
    this.delivered.set(seq, report);
    if (this.delivered.size > DELIVERED_WINDOW) {
      const oldest = this.delivered.keys().next();
      if (!oldest.done) this.delivered.delete(oldest.value);
    }
    this.options.onReport(report);
    this.wakeWaiters(seq);
  }

  private isRepeat(seq: number, report: BrokerReport): boolean {
    const delivered = this.delivered.get(seq);
    return delivered !== undefined && fingerprint(delivered) === fingerprint(report);
  }

  /** A heartbeat naming a later report than the last one delivered: that report was lost on the way. */
  private heartbeatSequence(seq: number | undefined): void {
    const last = this.lastSequence;
    if (seq === undefined || seq <= last) return;
    if (seq > last + this.maxJump) return this.implausible(seq);
    this.options.onEvent({ type: 'sequence_gap', expected: last + 1, received: seq });
    this.lastSeq = seq;
    this.wakeWaiters(seq);
  }

  /** Reported once per value, never taken as the last seq: the genuine next report is still expected at last + 1. */
  private implausible(seq: number): void {
    if (seq === this.lastImplausible) return;
    this.lastImplausible = seq;
    this.options.onEvent({ type: 'implausible_sequence', lastSeq: this.lastSequence, received: seq });
  }

  /** A message of another session on this connection: its numbering cannot be compared, so start over with a fresh welcome. */
  private foreignSession(socket: WebSocket, epoch: string): void {
    socket.on('error', () => undefined);
    socket.terminate();
    if (this.socket === socket) this.connectionLost(`a message of broker session ${epoch} on a connection to session ${this.session ?? 'none'}`);
  }

  private wakeWaiters(seq: number): void {
    for (const waiter of [...this.seqWaiters]) if (seq >= waiter.seq) waiter.resolve();
  }

  private armWatchdog(socket: WebSocket): void {
    this.watchdog?.();
    this.watchdog = this.timers.deadline(this.options.livenessTimeoutMs, () => {
      socket.on('error', () => undefined);
      socket.terminate();
      if (this.socket === socket) this.connectionLost(`no heartbeat for ${this.options.livenessTimeoutMs} ms`);
    });
  }

  private connectionLost(reason: string): void {
    this.clearTimers();
    this.socket?.removeAllListeners();
    this.socket?.on('error', () => undefined);
    this.socket = null;
    for (const waiter of [...this.seqWaiters]) waiter.resolve();
    if (this.reconnects.closing) return;
    this.options.onEvent({ type: 'lost', reason });
    this.connect().catch(() => undefined);
  }

  private clearTimers(): void {
    this.watchdog?.();
    this.watchdog = null;
  }
}
