import { SlidingWindowMinimum } from './correlation';

/**
 * What the watch, the response and the recovery keep in memory between events, beyond what the log
 * holds; a reset forgets it.
 */
export class BreakerMonitorMemory {
  /** The broker's cancel-all went out in this trip episode: a second breaker's trip does not send it again. */
  killSwitchPulled = false;
  /** Deferred cancels (the board's cancelOnAcknowledgement) this process has dealt with, begun or found closed: the board keeps them until the cancel's outcome is on record. */
  readonly deferredCancelsHandled = new Set<string>();
  /** The average correlation over the jump breaker's lookback; only what can still be its lowest is kept. */
  readonly correlationLookback = new SlidingWindowMinimum();

  /** A reset ends the episode: the next trip pulls the kill switch again and the lookback starts afresh. */
  forgetEpisode(): void {
    this.killSwitchPulled = false;
    this.deferredCancelsHandled.clear();
    this.correlationLookback.clear();
  }
}
