import { MarketDataMessage, encodeMarketDataMessage } from '../../../domain/market';
import { MarketDataFaults } from './market-data-faults';
import type { VenueMarketFeed } from './venue-feed';

/** Where the venue's frames go: a WebSocket, or an in-process subscriber reading them as the wire would carry them. */
export interface MarketDataSink {
  send(text: string): void;
  /** The initial state has gone out on this sink. */
  greeted?(): void;
}

export interface MarketDataFanoutOptions {
  readonly feed: VenueMarketFeed;
  /** Sent right after the initial state on every channel (the wire's end-of-initial-state heartbeat); nothing when absent. */
  readonly endOfInitialState?: () => MarketDataMessage;
}

/**
 * The venue's publisher as its channels see it: each new channel gets the current state, then every
 * message the venue publishes, in order, as the text the wire carries; a channel may ask for one
 * book again. The scripted faults (MarketDataFaults) act here, once for all channels. A channel
 * opened during a stall gets its initial state when the stall ends: that is its greeting, not a
 * replay of what was lost.
 */
export class MarketDataFanout {
  readonly faults = new MarketDataFaults();
  private readonly sinks = new Set<MarketDataSink>();
  private readonly awaitingGreeting = new Set<MarketDataSink>();
  private unsubscribe: (() => void) | null = null;
  private sent = 0;
  private requests = 0;

  constructor(private readonly options: MarketDataFanoutOptions) {
    this.faults.onResume(() => {
      for (const sink of [...this.awaitingGreeting]) this.greet(sink);
    });
  }

  /** Frames sent on every channel so far (each channel's copy counted). */
  get messagesSent(): number {
    return this.sent;
  }

  /** Snapshot requests received so far, answered or not. */
  get snapshotRequests(): number {
    return this.requests;
  }

  /** Start passing on what the venue publishes. */
  start(): void {
    this.unsubscribe ??= this.options.feed.subscribe(message => this.publish(message));
  }

  /** Stop passing anything on, and forget every channel. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.sinks.clear();
    this.awaitingGreeting.clear();
  }

  open(sink: MarketDataSink): void {
    this.sinks.add(sink);
    if (this.faults.stalled) this.awaitingGreeting.add(sink);
    else this.greet(sink);
  }

  close(sink: MarketDataSink): void {
    this.sinks.delete(sink);
    this.awaitingGreeting.delete(sink);
  }

  /** A message for every greeted channel, unless a scripted fault keeps it back. */
  publish(message: MarketDataMessage): void {
    if (this.faults.passes(message)) this.broadcast(encodeMarketDataMessage(message));
  }

  /** The whole book of a symbol, to the channel that asked; nothing for a symbol the venue does not list, or during a stall. */
  answerSnapshot(sink: MarketDataSink, symbol: string): void {
    this.requests += 1;
    if (this.faults.stalled || !this.sinks.has(sink) || this.awaitingGreeting.has(sink)) return;
    let snapshot: MarketDataMessage;
    try {
      snapshot = this.options.feed.bookSnapshot(symbol);
    } catch {
      return;
    }
    this.send(sink, encodeMarketDataMessage(snapshot));
  }

  /** Any text as one frame on every channel (a garbled message, for a scenario); held back during a stall like the rest. */
  sendRawFrame(text: string): void {
    if (!this.faults.stalled) this.broadcast(text);
  }

  private greet(sink: MarketDataSink): void {
    this.awaitingGreeting.delete(sink);
    const end = this.options.endOfInitialState;
    for (const message of [...this.options.feed.currentState(), ...(end ? [end()] : [])]) this.send(sink, encodeMarketDataMessage(message));
    sink.greeted?.();
  }

  private broadcast(text: string): void {
    for (const sink of [...this.sinks]) if (!this.awaitingGreeting.has(sink)) this.send(sink, text);
  }

  private send(sink: MarketDataSink, text: string): void {
    this.sent += 1;
    sink.send(text);
  }
}
