import { TradingError } from '../../../domain/shared';
import { MarketDataFeedEvent, MarketDataListeners, MarketDataMessage, MarketDataSource } from '../../../domain/market';
import { MarketDataFanout, MarketDataSink } from './market-data-fanout';
import type { VenueMarketFeed } from './venue-feed';

export interface InProcessMarketDataOptions {
  readonly name: string;
  readonly feed: VenueMarketFeed;
}

/**
 * The venue's market data without sockets: every message goes through the wire's encoding and its
 * strict decoding, and is delivered later in the order the venue published it (a microtask each,
 * never inside the publisher's call), with the same scripted faults as the market data channel
 * server. connect() delivers the current state and resolves; a stall while connecting holds the
 * initial state, and connect(), back until it ends. dropConnections() is a lost connection and an
 * immediate reconnect with a fresh initial state.
 */
export class InProcessMarketData implements MarketDataSource {
  readonly name: string;
  private readonly listeners = new MarketDataListeners();
  private readonly fanout: MarketDataFanout;
  private readonly sink: MarketDataSink;
  private connected = false;
  private pendingConnect: { resolve: () => void; reject: (error: Error) => void } | null = null;
  private connecting: Promise<void> | null = null;

  constructor(options: InProcessMarketDataOptions) {
    this.name = options.name;
    this.fanout = new MarketDataFanout({ feed: options.feed });
    this.sink = {
      send: text => this.later(() => this.listeners.receiveFrame(text)),
      greeted: () => this.greeted(),
    };
  }

  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<void>((resolve, reject) => {
      this.pendingConnect = { resolve, reject };
      this.fanout.start();
      this.fanout.open(this.sink);
    });
    return this.connecting;
  }

  onMessage(listener: (message: MarketDataMessage) => void): () => void {
    return this.listeners.onMessage(listener);
  }

  onFeedEvent(listener: (event: MarketDataFeedEvent) => void): () => void {
    return this.listeners.onFeedEvent(listener);
  }

  /** Resolves once the snapshot has been delivered (nothing is, during a stall or for a symbol the venue does not list). */
  requestSnapshot(symbol: string): Promise<void> {
    if (!this.connected) return Promise.reject(new TradingError('BrokerUnavailable', `${this.name}: not connected, so no snapshot of ${symbol} was asked for`, { channel: 'market data' }));
    this.fanout.answerSnapshot(this.sink, symbol);
    return this.delivered();
  }

  close(): Promise<void> {
    this.connected = false;
    this.fanout.stop();
    this.pendingConnect?.reject(new TradingError('BrokerUnavailable', `${this.name}: closed before the initial state arrived`, { channel: 'market data' }));
    this.pendingConnect = null;
    this.connecting = null;
    return Promise.resolve();
  }

  // ---- scripted faults, as on the market data channel server ----

  dropNextBookDelta(symbol?: string): void {
    this.fanout.faults.dropNextBookDelta(symbol);
  }

  stall(): void {
    this.fanout.faults.stall();
  }

  resume(): void {
    this.fanout.faults.resume();
  }

  /** The connection is lost and made again at once: 'lost', then the initial state and 'connected' once more. */
  dropConnections(): void {
    if (!this.connected) return;
    this.connected = false;
    this.fanout.close(this.sink);
    this.later(() => this.listeners.report({ type: 'lost', reason: 'connection dropped by the venue' }));
    this.connect().catch(() => undefined);
  }

  /** Any text delivered as one frame (a garbled message): it goes through the same decoding. */
  sendRawFrame(text: string): void {
    this.fanout.sendRawFrame(text);
  }

  get messagesSent(): number {
    return this.fanout.messagesSent;
  }

  /** Snapshot requests received so far, answered or not. */
  get snapshotRequests(): number {
    return this.fanout.snapshotRequests;
  }

  get deltasDropped(): number {
    return this.fanout.faults.deltasDropped;
  }

  /** The initial state is on its way: once it has been delivered, the source is connected. */
  private greeted(): void {
    this.later(() => {
      const pending = this.pendingConnect;
      if (pending === null) return;
      this.pendingConnect = null;
      // Cleared here, not in a later turn, so a drop right after connecting starts a fresh connection.
      this.connecting = null;
      this.connected = true;
      this.listeners.report({ type: 'connected', attempt: 1 });
      pending.resolve();
    });
  }

  /** After everything already on its way, in order; nothing once the source is closed. */
  private later(deliver: () => void): void {
    queueMicrotask(() => {
      if (this.pendingConnect !== null || this.connected) deliver();
    });
  }

  private delivered(): Promise<void> {
    return new Promise(resolve => queueMicrotask(resolve));
  }
}
