import { TradingError } from '../shared';
import { DomainEvent } from './events';

export type BreakerLevel = 'normal' | 'warning' | 'critical';

/** One breaker as the log tells it: its level now, whether it has tripped, and since when it is back to normal. */
export interface BreakerStatus {
  readonly name: string;
  level: BreakerLevel;
  tripped: boolean;
  observed: string;
  limit: string;
  observedText: string;
  limitText: string;
  changedAt: string;
  trippedAt: string | null;
  /** While tripped: when the figure last came back to normal; null while it is not. */
  normalSince: string | null;
}

/** A trip episode: from the first breaker that trips until a reset; the limits it found are the ones restored. */
export interface TripEpisode {
  readonly startedAt: string;
  readonly breakers: string[];
  readonly limitsBefore: Readonly<Record<string, string>>;
  /** Whether the outcome of the episode's kill switch (done or failed) is on the log: until it is, the broker may still hold the orders it was pulled to close. */
  killSwitchSettled: boolean;
}

/** Limits coming back in steps after a reset. */
export interface Restoration {
  readonly step: number;
  readonly percent: number;
  readonly at: string;
  readonly limitsBefore: Readonly<Record<string, string>>;
}

export type BreakerEvent = Extract<
  DomainEvent,
  { type: 'BreakerRegistered' | 'BreakerLevelChanged' | 'BreakerTripped' | 'BreakerActionTaken' | 'BreakerHealthChecked' | 'BreakerReset' | 'BreakerResetRefused' | 'BreakerLimitsRestored' }
>;

/** The circuit breakers' part of the projection: rebuilt from the log like orders and positions. */
export class BreakerBoard {
  readonly statuses = new Map<string, BreakerStatus>();
  readonly registered = new Map<string, Extract<BreakerEvent, { type: 'BreakerRegistered' }>['payload']>();
  episode: TripEpisode | null = null;
  restoration: Restoration | null = null;
  /** Orders in flight at a trip that a breaker cancels once the broker acknowledges them, by breaker: the one list of them, the monitor keeps none; each stays until its cancel's outcome is recorded or a reset. */
  readonly cancelOnAcknowledgement = new Map<string, string>();

  status(name: string): BreakerStatus | undefined {
    return this.statuses.get(name);
  }

  tripped(): BreakerStatus[] {
    return [...this.statuses.values()].filter(s => s.tripped);
  }

  prepare(event: BreakerEvent): (at: string) => void {
    switch (event.type) {
      case 'BreakerRegistered':
        if (this.registered.has(event.payload.breaker)) throw new TradingError('InvalidBreaker', `a breaker named "${event.payload.breaker}" is already registered`);
        return () => this.registered.set(event.payload.breaker, event.payload);
      case 'BreakerLevelChanged': {
        const p = event.payload;
        return (at: string) => {
          const status = this.upsert(p.breaker, at);
          Object.assign(status, { level: p.to, observed: p.observed, limit: p.limit, observedText: p.observedText, limitText: p.limitText, changedAt: at });
          if (status.tripped) status.normalSince = p.to === 'normal' ? at : null;
        };
      }
      case 'BreakerTripped': {
        const p = event.payload;
        // The log itself refuses a second trip of a tripped breaker: its actions can never run twice.
        if (this.statuses.get(p.breaker)?.tripped) throw new TradingError('IllegalTransition', `breaker ${p.breaker} has already tripped`);
        return (at: string) => {
          const status = this.upsert(p.breaker, at);
          Object.assign(status, { level: 'critical', tripped: true, trippedAt: at, normalSince: null, observed: p.observed, limit: p.limit, observedText: p.observedText, limitText: p.limitText, changedAt: at });
          if (this.episode) this.episode.breakers.push(p.breaker);
          else this.episode = { startedAt: at, breakers: [p.breaker], limitsBefore: { ...p.limitsBefore }, killSwitchSettled: false };
        };
      }
      case 'BreakerReset': {
        if (!this.episode) throw new TradingError('IllegalTransition', 'no breaker has tripped: there is nothing to reset');
        const episode = this.episode;
        return (at: string) => {
          for (const status of this.statuses.values()) {
            status.tripped = false;
            status.normalSince = null;
          }
          this.restoration = { step: 0, percent: 0, at, limitsBefore: episode.limitsBefore };
          this.episode = null;
          this.cancelOnAcknowledgement.clear();
        };
      }
      case 'BreakerLimitsRestored': {
        const restoration = this.restoration;
        if (!restoration) throw new TradingError('IllegalTransition', 'limits can only be restored after a reset');
        return (at: string) => {
          this.restoration = event.payload.percent >= 100 ? null : { ...restoration, step: event.payload.step, percent: event.payload.percent, at };
        };
      }
      case 'BreakerActionTaken': {
        const { action, breaker, clientOrderId, outcome } = event.payload;
        if (action === 'broker kill switch') {
          return () => {
            if (this.episode && outcome !== 'skipped') this.episode.killSwitchSettled = true;
          };
        }
        if (clientOrderId === undefined) return () => undefined;
        return () => {
          if (action === 'cancel on acknowledgement') this.cancelOnAcknowledgement.set(clientOrderId, breaker);
          else if (action === 'cancel order') this.cancelOnAcknowledgement.delete(clientOrderId);
        };
      }
      case 'BreakerHealthChecked':
      case 'BreakerResetRefused':
        return () => undefined;
    }
  }

  private upsert(name: string, at: string): BreakerStatus {
    let status = this.statuses.get(name);
    if (!status) {
      status = { name, level: 'normal', tripped: false, observed: '0', limit: '0', observedText: '', limitText: '', changedAt: at, trippedAt: null, normalSince: null };
      this.statuses.set(name, status);
    }
    return status;
  }
}
