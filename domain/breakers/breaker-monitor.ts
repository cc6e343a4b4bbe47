import { TradingError } from '../shared';
import { BreakerDefinition } from './breaker';
import { BreakerMonitorPorts, breakerPorts } from './breaker-monitor-ports';
import { BreakerMonitorMemory } from './breaker-monitor-memory';
import { BreakerRecovery, ResetOutcome, ResetRequest } from './breaker-recovery';
import { BreakerResponder } from './breaker-response';
import { BreakerReadout, BreakerWatch, CustomBreakerInput } from './breaker-watch';
import { BreakerWork } from './breaker-work';
import { HealthCheckRow } from './health-check';
import { STANDARD_BREAKERS } from './standard-breakers';

export type { BreakerFailure } from './breaker-failure';
export type { BreakerMonitorPorts } from './breaker-monitor-ports';
export { RESTORATION_STEPS, RESTORED_LIMITS, RISK_OFFICER_ROLE } from './breaker-recovery';
export type { ResetOutcome, ResetRequest } from './breaker-recovery';
export { MAX_LIQUIDATION_SLICES } from './breaker-response';
export type { BreakerReadout, CustomBreakerInput } from './breaker-watch';
export type { BreakerWork } from './breaker-work';

/** How long idle() waits by default: a response takes milliseconds, so this leaves room for a slow broker and still fails before a caller's few seconds of patience run out. */
export const IDLE_TIMEOUT_MS = 4_000;
/** Rounds of waiting idle() allows for work that starts more work (a cancel, then a deferred cancel, ...) before it gives up. */
export const IDLE_ROUNDS = 50;

/**
 * The circuit breakers as the system runs them, in three parts over one set of ports: the watch reads
 * every breaker on each mark price and fill, the response answers a critical level at once (trading
 * state first, then alert, cancels, kill switch and liquidation), and the recovery brings trading back
 * after a cool-down and a passing health check, or a risk officer's reset, with limits in steps.
 */
export class BreakerMonitor {
  private readonly watch: BreakerWatch;
  private readonly responder: BreakerResponder;
  private readonly recovery: BreakerRecovery;

  constructor(ports: BreakerMonitorPorts, definitions: readonly BreakerDefinition[] = STANDARD_BREAKERS) {
    const shared = breakerPorts(ports);
    const memory = new BreakerMonitorMemory();
    this.responder = new BreakerResponder({ ...shared, memory });
    const gauges = { definition: (name: string) => this.watch.definition(name), readings: () => this.watch.readings() };
    this.recovery = new BreakerRecovery({ ...shared, memory, responder: this.responder, gauges });
    this.watch = new BreakerWatch({ ...shared, memory, responder: this.responder, recovery: this.recovery, definitions });
  }

  get armed(): boolean {
    return this.watch.armed;
  }

  /** Start watching; the prices already known are the start of the history, and a trip episode in the log is taken over. */
  start(): void {
    if (this.watch.armed) return;
    this.watch.start();
    this.responder.resume();
  }

  stop(): void {
    this.watch.stop();
  }

  breakerNames(): string[] {
    return this.watch.breakerNames();
  }

  definition(name: string): BreakerDefinition {
    return this.watch.definition(name);
  }

  /** What every breaker reads now, without acting on it. */
  readings(): BreakerReadout[] {
    return this.watch.readings();
  }

  /** A breaker added at runtime: a name, a metric on the live state and its levels. Bad input changes nothing. */
  register(input: CustomBreakerInput): BreakerDefinition {
    return this.watch.register(input);
  }

  /**
   * Resolves once the responses, deferred cancels and recoveries under way have finished; rejects
   * (Timeout) naming the work still running when they have not within timeoutMs or IDLE_ROUNDS rounds.
   */
  async idle(timeoutMs = IDLE_TIMEOUT_MS): Promise<void> {
    // Wall time, not the system's clock: a virtual clock stands still while the work runs.
    const deadlineMs = Date.now() + timeoutMs;
    let timedOut = false;
    for (let round = 0; round < IDLE_ROUNDS && !timedOut; round += 1) {
      const work = this.underway();
      if (work.length === 0) return;
      timedOut = !(await settledWithin(work, deadlineMs - Date.now()));
    }
    const still = this.underway().map(w => w.what);
    if (still.length === 0) return;
    const bound = timedOut ? `${timeoutMs} ms` : `${IDLE_ROUNDS} rounds of waiting`;
    throw new TradingError('Timeout', `the circuit breakers are not idle after ${bound}; still running: ${still.join('; ')}`, { stillRunning: still, timeoutMs });
  }

  healthCheck(trigger: string): Promise<HealthCheckRow[]> {
    return this.recovery.healthCheck(trigger);
  }

  /** A person resets the tripped breakers: only a risk officer, only with a reason, only when the conditions and the health check allow. */
  reset(request: ResetRequest): Promise<ResetOutcome> {
    return this.recovery.reset(request);
  }

  private underway(): BreakerWork[] {
    return [...this.responder.underway(), ...this.recovery.underway()];
  }
}

/** Whether all the work settled within the time given; the timer does not outlive the wait. */
function settledWithin(work: readonly BreakerWork[], ms: number): Promise<boolean> {
  return new Promise(resolve => {
    const timer = setTimeout(() => resolve(false), ms);
    void Promise.allSettled(work.map(w => w.done)).then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
