import { describeError } from '../shared';
import type { MarketDataFeedEvent, MarketDataMessage } from './market-data';
import { decodeMarketDataMessage } from './market-data-protocol';

/**
 * Who a market data source tells of its messages and its feed events, and how a frame as the venue
 * sent it becomes a message: decoded strictly, or refused as a message_rejected event while the
 * source goes on (one bad frame says nothing about the next). Every source, on the wire or in
 * process, reads its frames through here, so both are exactly as strict.
 */
export class MarketDataListeners {
  private readonly messageListeners = new Set<(message: MarketDataMessage) => void>();
  private readonly eventListeners = new Set<(event: MarketDataFeedEvent) => void>();

  onMessage(listener: (message: MarketDataMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  onFeedEvent(listener: (event: MarketDataFeedEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  report(event: MarketDataFeedEvent): void {
    for (const listener of [...this.eventListeners]) listener(event);
  }

  /** One text frame: the decoded message, delivered, or null when it did not decode (reported as message_rejected). */
  receiveFrame(text: string): MarketDataMessage | null {
    let message: MarketDataMessage;
    try {
      message = decodeMarketDataMessage(text);
    } catch (error) {
      this.report({ type: 'message_rejected', reason: describeError(error).message });
      return null;
    }
    for (const listener of [...this.messageListeners]) listener(message);
    return message;
  }
}
