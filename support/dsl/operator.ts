import type { Decimal, InFlightResolution, LatencyStage, RecoveryReport, StateSnapshot, StoredEvent, SystemUnderTest } from '../sut';
import type { ScenarioContext } from './scenario-context';
import { LATEST } from './scenario-memory';
import type { EventLog } from './event-log';

/**
 * The operator's channel: the system's life (start, crash, restart), the account's funding, and the
 * operations a person or a schedule runs (recovery, in-flight resolution, broker checks).
 */
export class Operator {
  constructor(
    private readonly context: ScenarioContext,
    private readonly log: EventLog,
  ) {}

  /** Start the trading system on the scenario's log, with the routes, credentials and breakers configured so far. */
  startSystem(): Promise<SystemUnderTest> {
    return this.context.session.start();
  }

  /** The first thing a scenario does: the system starts (unless a step before configured and started it), the account is funded at the system and at the broker, and the trading day begins. */
  async openAccount(deposit: Decimal): Promise<void> {
    if (!this.context.session.isRunning) await this.startSystem();
    this.fund(deposit);
  }

  fund(amount: Decimal): void {
    const { system, broker } = this.context;
    system.fund(amount);
    broker.deposit(amount);
    system.startTradingDay();
  }

  /** The process dies with its connections; the log file and the broker live on. */
  async crash(): Promise<void> {
    await this.context.session.stop();
  }

  /** A new instance after a crash: it opens on the log first, then connects to the broker. */
  restart(): Promise<SystemUnderTest> {
    return this.startSystem();
  }

  /** Stop, change what the next start is configured with (routes, credentials), start on the same log. */
  async restartWith(configure: () => void | Promise<void>): Promise<SystemUnderTest> {
    await this.context.session.stop();
    await configure();
    return this.startSystem();
  }

  async recover(): Promise<RecoveryReport> {
    return this.context.memory.remember('recovery', LATEST, await this.context.system.recover());
  }

  async resolveInFlightOrders(): Promise<InFlightResolution> {
    return this.context.memory.remember('inFlightResolution', LATEST, await this.context.system.resolveInFlightOrders());
  }

  reconcileBalance(trigger: string): Promise<StoredEvent> {
    return this.context.system.reconcileBalance(trigger);
  }

  /** Remember the system's state under a name, to compare with later ("before the crash"). */
  rememberState(name: string): void {
    this.context.memory.remember('snapshot', name, this.context.system.snapshot());
  }

  // ---- crash, restart and recovery, said out loud ----

  /** Once every fill is reconciled, the state is remembered under a name ("before the crash") and the process dies. */
  async crashAfterSettling(name: string = BEFORE_THE_CRASH): Promise<void> {
    await this.log.reconciliationsSettled();
    this.rememberState(name);
    await this.crash();
  }

  /** Time passes on the scenario's clock, then the system recovers with the broker. */
  recoverAfter(ms: number): Promise<RecoveryReport> {
    this.context.clock.advance(ms);
    return this.recover();
  }

  /** The latest recovery's report. */
  lastRecovery(): RecoveryReport {
    return this.context.memory.recall('recovery');
  }

  /** The state remembered under a name beside the system's state now. */
  stateBeside(name: string): { readonly remembered: StateSnapshot; readonly now: StateSnapshot } {
    return { remembered: this.context.memory.recall('snapshot', name), now: this.context.system.snapshot() };
  }

  /** Once every fill is reconciled: the live state beside the state a replay of the whole log rebuilds. */
  async stateRebuiltFromLog(): Promise<{ readonly live: StateSnapshot; readonly rebuilt: StateSnapshot }> {
    await this.log.reconciliationsSettled();
    const { system } = this.context;
    return { live: system.snapshot(), rebuilt: system.snapshotRebuiltFromLog() };
  }

  // ---- the stored log while the system is down ----

  /** Someone edits the stored log: once every fill is reconciled the system goes down, and the first event of a type gets another value for a field. */
  async editStoredLog(change: { readonly eventType: string; readonly field: string; readonly value: string }): Promise<void> {
    await this.log.reconciliationsSettled();
    await this.crash();
    this.context.session.tamperWithLog(change);
  }

  /** Open the stored log on its own and check it; a refusal is kept as the scenario's raised error. Whether it opened. */
  async openStoredLog(): Promise<boolean> {
    const opened = await this.context.errors.attempt(OPENING_THE_LOG, () => {
      this.context.session.openLog();
      return true;
    });
    return opened === true;
  }

  // ---- what the system reports about itself ----

  /** The system's counters and how many latency samples it took at each stage of an order's life. */
  telemetry(): { readonly counters: Readonly<Record<string, number>>; readonly latencySamples: Readonly<Record<LatencyStage, number>> } {
    const { system } = this.context;
    const latencySamples = Object.fromEntries(LATENCY_STAGES.map(stage => [stage, system.latencySamples(stage)])) as Record<LatencyStage, number>;
    return { counters: system.counters(), latencySamples };
  }

  /** The records of the system's structured log with a message, each line parsed. */
  logRecords(message: string): Record<string, unknown>[] {
    return this.context.logLines.map(line => JSON.parse(line) as Record<string, unknown>).filter(record => record.msg === message);
  }

  /** Time passes on the scenario's clock, then the orders in flight are resolved. */
  async resolveInFlightOrdersAfter(ms: number): Promise<InFlightResolution> {
    this.context.clock.advance(ms);
    return this.resolveInFlightOrders();
  }
}

/** What a refusal to open the stored log is kept under, for the Then that checks it. */
export const OPENING_THE_LOG = 'opening the stored event log';

/** The name the state before a crash is remembered under. */
export const BEFORE_THE_CRASH = 'before the crash';

const LATENCY_STAGES: readonly LatencyStage[] = ['risk', 'submit', 'ack', 'fill'];
