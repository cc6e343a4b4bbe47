import { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { Clock } from '../../../domain/shared';
import { MAX_FRAME_BYTES } from '../../../domain/execution';
import { MARKET_DATA_CHANNEL_PATH, decodeMarketDataRequest } from '../../../domain/market';
import { MarketDataFanout, MarketDataSink } from './market-data-fanout';
import type { VenueMarketFeed } from './venue-feed';

export interface MarketDataChannelServerOptions {
  readonly feed: VenueMarketFeed;
  /** The venue's clock: the time each heartbeat carries. */
  readonly clock: Clock;
  /** Real time between heartbeats on every channel; none but the end-of-initial-state one when absent. */
  readonly heartbeatIntervalMs?: number;
}

/**
 * The venue's public market data channel (market-data-protocol.ts) on the broker server's HTTP port
 * at MARKET_DATA_CHANNEL_PATH: no authentication. A connection gets the feed's current state, a
 * heartbeat that ends it, then everything the feed publishes and a heartbeat every interval; a
 * { op: 'snapshot' } request gets the book back on the same channel. A request that does not decode,
 * or names a symbol the venue does not list, gets no answer. Scenarios script the faults of a venue
 * feed: a lost delta, a stall, dropped connections, a garbled frame.
 */
export class MarketDataChannelServer {
  private readonly sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly fanout: MarketDataFanout;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly options: MarketDataChannelServerOptions) {
    this.fanout = new MarketDataFanout({ feed: options.feed, endOfInitialState: () => this.heartbeat() });
  }

  /** Whether an upgrade request is for this channel. */
  handles(req: IncomingMessage): boolean {
    return new URL(req.url ?? '/', 'http://127.0.0.1').pathname === MARKET_DATA_CHANNEL_PATH;
  }

  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    if (!this.running) {
      socket.destroy();
      return;
    }
    this.sockets.handleUpgrade(req, socket, head, channel => this.openChannel(channel));
  }

  /** Start passing on what the feed publishes, and the heartbeats. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.fanout.start();
    const intervalMs = this.options.heartbeatIntervalMs;
    if (intervalMs !== undefined) this.heartbeatTimer = setInterval(() => this.fanout.publish(this.heartbeat()), intervalMs);
  }

  /** Every channel is cut and nothing more is sent; the server's own HTTP listener is its owner's to close. */
  stop(): void {
    this.running = false;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.fanout.stop();
    this.dropConnections();
  }

  // ---- scripted faults ----

  /** The next book delta (of this symbol, or of any book) is never sent: subscribers see a jump in its numbering. */
  dropNextBookDelta(symbol?: string): void {
    this.fanout.faults.dropNextBookDelta(symbol);
  }

  /** Nothing at all is sent, heartbeats and snapshot answers included; what the feed publishes meanwhile is lost. */
  stall(): void {
    this.fanout.faults.stall();
  }

  /** Sending goes on with what is published from now on; a subscriber repairs its books by asking for snapshots. */
  resume(): void {
    this.fanout.faults.resume();
  }

  /** Abrupt loss of every channel: the sockets are destroyed without a close frame. */
  dropConnections(): void {
    for (const channel of this.sockets.clients) channel.terminate();
  }

  /** Any text as one frame on every open channel (a garbled message). */
  sendRawFrame(text: string): void {
    this.fanout.sendRawFrame(text);
  }

  // ---- evidence ----

  /** Frames sent so far, each channel's copy counted. */
  get messagesSent(): number {
    return this.fanout.messagesSent;
  }

  get openChannels(): number {
    return [...this.sockets.clients].filter(channel => channel.readyState === WebSocket.OPEN).length;
  }

  /** Snapshot requests received so far, answered or not. */
  get snapshotRequests(): number {
    return this.fanout.snapshotRequests;
  }

  get deltasDropped(): number {
    return this.fanout.faults.deltasDropped;
  }

  private heartbeat(): { type: 'heartbeat'; at: string } {
    return { type: 'heartbeat', at: this.options.clock.now().toISOString() };
  }

  private openChannel(channel: WebSocket): void {
    const sink: MarketDataSink = { send: text => channel.send(text, () => undefined) };
    channel.on('error', () => undefined);
    channel.on('close', () => this.fanout.close(sink));
    channel.on('message', (data, isBinary) => {
      let symbol: string;
      try {
        symbol = decodeMarketDataRequest(isBinary ? '' : data.toString()).symbol;
      } catch {
        return;
      }
      this.fanout.answerSnapshot(sink, symbol);
    });
    this.fanout.open(sink);
  }
}
