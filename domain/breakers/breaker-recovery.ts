import { Decimal, TradingError } from '../shared';
import { StoredEvent, BreakerStatus, StateProjection } from '../state';
import { BreakerDefinition } from './breaker';
import { BreakerFailure } from './breaker-failure';
import { BREAKER_ACTOR, BreakerPorts } from './breaker-monitor-ports';
import { BreakerMonitorMemory } from './breaker-monitor-memory';
import type { BreakerResponder } from './breaker-response';
import type { BreakerReadout } from './breaker-watch';
import { BreakerWork } from './breaker-work';
import { HealthCheckRow, runHealthCheck } from './health-check';

/** Limits come back in these steps after a reset, one step per restore_step_minutes. */
export const RESTORATION_STEPS: readonly number[] = [25, 50, 100];
/** The limits a trip episode restores step by step (the trading state comes back with the first step). */
export const RESTORED_LIMITS: readonly string[] = ['max_leverage', 'max_order_notional', 'max_position_pct'];
/** The only role allowed to reset a breaker by hand. */
export const RISK_OFFICER_ROLE = 'risk officer';

export interface ResetRequest {
  /** A breaker of the episode; all tripped breakers are reset together. */
  readonly breaker?: string;
  readonly operator: string;
  readonly role: string;
  readonly reason: string;
}

export type ResetOutcome = { outcome: 'reset'; event: StoredEvent } | { outcome: 'refused'; code: BreakerFailure; reason: string };

/** What a reset asks of the watch: that the breaker named exists, and whether any still reads critical. */
export interface BreakerGauges {
  definition(name: string): BreakerDefinition;
  readings(): readonly BreakerReadout[];
}

export interface BreakerRecoveryPorts extends BreakerPorts {
  readonly memory: BreakerMonitorMemory;
  /** A recovery waits for the responses under way before it checks and resets. */
  readonly responder: BreakerResponder;
  readonly gauges: BreakerGauges;
}

/** The limits a trip records for the recovery to restore: those found before the episode (or before a restoration still under way). */
export function limitsBeforeTrip(state: StateProjection): Readonly<Record<string, string>> {
  const board = state.breakers;
  const settings = state.settings.snapshot();
  return board.restoration?.limitsBefore ?? board.episode?.limitsBefore ?? pick(settings, [...RESTORED_LIMITS, 'trading_state']);
}

/**
 * Brings trading back after a trip: automatically once every tripped breaker has read normal for the
 * whole cool-down and a health check passes, or by a risk officer's reset with a reason; limits then
 * come back in steps.
 */
export class BreakerRecovery {
  private recovering: Promise<void> | null = null;

  constructor(private readonly ports: BreakerRecoveryPorts) {}

  /** The automatic recovery under way, to wait for. */
  underway(): BreakerWork[] {
    return this.recovering ? [{ what: 'the automatic recovery after the cool-down (health check, then reset)', done: this.recovering }] : [];
  }

  /** After each pass of the watch: start an automatic recovery when it is due, and the next restoration step. */
  review(now: Date): void {
    this.considerRecovery(now);
    this.considerRestoration(now);
  }

  async healthCheck(trigger: string): Promise<HealthCheckRow[]> {
    const broker = this.ports.broker();
    const rows = await runHealthCheck({
      broker,
      state: this.ports.ledger.state,
      reconciler: this.ports.reconciler,
      now: this.ports.clock.now(),
      trigger,
      onBrokerError: (error, operation) =>
        this.ports.brokerErrors.record(error, { broker: broker.name, operation, saw: { 'circuit breaker health check': 'the broker did not answer: trading stays stopped' } }),
    });
    this.ports.ledger.record({ type: 'BreakerHealthChecked', payload: { trigger, passed: rows.every(r => r.passed), checks: rows.map(r => ({ ...r })) } });
    return rows;
  }

  /** A person resets the tripped breakers: only a risk officer, only with a reason, only when the conditions and the health check allow. */
  async reset(request: ResetRequest): Promise<ResetOutcome> {
    if (request.breaker !== undefined) this.ports.gauges.definition(request.breaker);
    if (!request.operator?.trim()) throw new TradingError('InvalidInput', 'a reset needs the name of the operator who asks for it', { field: 'operator' });
    const breaker = request.breaker ?? 'all';
    const refuse = (code: BreakerFailure, detail: string): ResetOutcome => {
      this.ports.ledger.record({ type: 'BreakerResetRefused', payload: { breaker, operator: request.operator, role: request.role, reason: request.reason ?? '', code, detail } });
      this.ports.telemetry.increment(`breakers.reset_refused.${code}`);
      return { outcome: 'refused', code, reason: detail };
    };
    if (request.role !== RISK_OFFICER_ROLE) return refuse('RESET_ROLE_NOT_PERMITTED', `${request.operator} is a ${request.role || 'person without a role'}; only a ${RISK_OFFICER_ROLE} may reset a circuit breaker`);
    if (!request.reason?.trim()) return refuse('RESET_REASON_MISSING', 'a reset needs a reason for the audit trail');
    if (this.recovering) await this.recovering;
    await this.ports.responder.settled();
    const board = this.ports.ledger.state.breakers;
    if (!board.episode || (request.breaker !== undefined && !board.status(request.breaker)?.tripped)) {
      return refuse('NOTHING_TO_RESET', request.breaker !== undefined ? `breaker ${request.breaker} has not tripped` : 'no breaker has tripped');
    }
    const critical = this.ports.gauges.readings().filter(r => r.level === 'critical');
    if (critical.length > 0) return refuse('BREAKER_CONDITION_PERSISTS', `still critical: ${critical.map(r => r.name).join(', ')}`);
    const rows = await this.healthCheck(`manual reset by ${request.operator}`);
    const failed = rows.filter(r => !r.passed);
    if (failed.length > 0) return refuse('HEALTH_CHECK_FAILED', failed.map(r => `${r.check}: ${r.code} (${r.detail})`).join('; '));
    if (!this.ports.ledger.state.breakers.episode) return refuse('NOTHING_TO_RESET', 'the breakers were reset meanwhile');
    return { outcome: 'reset', event: this.resetEpisode('manual', request.operator, request.role, request.reason) };
  }

  private coolDownMs(): number {
    return Number(this.ports.ledger.state.settings.snapshot().breaker_cooldown_minutes) * 60_000;
  }

  /** Every tripped breaker back to normal for the whole cool-down, and none critical. */
  private calmFor(now: Date): boolean {
    const board = this.ports.ledger.state.breakers;
    const statuses = [...board.statuses.values()];
    if (statuses.some(s => s.level === 'critical')) return false;
    return board.tripped().every((s: BreakerStatus) => s.normalSince !== null && now.getTime() - Date.parse(s.normalSince) >= this.coolDownMs());
  }

  private considerRecovery(now: Date): void {
    const board = this.ports.ledger.state.breakers;
    if (!board.episode || this.recovering || !this.calmFor(now)) return;
    const minutes = this.coolDownMs() / 60_000;
    this.recovering = this.recoverAutomatically(minutes).finally(() => {
      this.recovering = null;
    });
  }

  private async recoverAutomatically(minutes: number): Promise<void> {
    await this.ports.responder.settled();
    const rows = await this.healthCheck('automatic recovery');
    const board = this.ports.ledger.state.breakers;
    if (!rows.every(r => r.passed) || !board.episode || !this.calmFor(this.ports.clock.now())) return;
    this.resetEpisode('automatic', 'circuit breaker monitor', 'system', `conditions normal for ${minutes} minutes`);
  }

  private resetEpisode(mode: 'automatic' | 'manual', operator: string, role: string, reason: string): StoredEvent {
    const board = this.ports.ledger.state.breakers;
    const breakers = board.tripped().map(s => s.name);
    const event = this.ports.ledger.record({ type: 'BreakerReset', payload: { mode, breakers, operator, role, reason } });
    this.ports.memory.forgetEpisode();
    this.ports.telemetry.increment(`breakers.reset.${mode}`);
    this.restoreStep(1);
    return event;
  }

  private considerRestoration(now: Date): void {
    const restoration = this.ports.ledger.state.breakers.restoration;
    if (!restoration || restoration.step === 0 || this.ports.ledger.state.breakers.episode) return;
    const stepMs = Number(this.ports.ledger.state.settings.snapshot().restore_step_minutes) * 60_000;
    if (now.getTime() - Date.parse(restoration.at) >= stepMs) this.restoreStep(restoration.step + 1);
  }

  private restoreStep(step: number): void {
    const restoration = this.ports.ledger.state.breakers.restoration;
    if (!restoration || step > RESTORATION_STEPS.length) return;
    const percent = RESTORATION_STEPS[step - 1];
    const limits: Record<string, string> = {};
    for (const key of RESTORED_LIMITS) {
      const before = restoration.limitsBefore[key];
      if (before !== undefined) limits[key] = new Decimal(before).times(percent).div(100).toString();
    }
    const changes = step === 1 ? { ...limits, trading_state: restoration.limitsBefore.trading_state ?? 'ACTIVE' } : limits;
    this.ports.ledger.record({ type: 'BreakerLimitsRestored', payload: { step, percent, limits } });
    this.ports.changeSettings(changes, `${BREAKER_ACTOR} recovery`, `limits restored to ${percent} % of their level before the trip (step ${step} of ${RESTORATION_STEPS.length})`);
  }
}

function pick(values: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.filter(k => values[k] !== undefined).map(k => [k, values[k]]));
}
