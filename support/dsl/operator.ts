import type { Decimal, InFlightResolution, RecoveryReport, StoredEvent, SystemUnderTest } from '../sut/system-under-test';
import type { BrokerConnection } from '../broker-connection';
import type { ScenarioContext } from './scenario-context';
import { LATEST } from './scenario-memory';

/**
 * The operator's channel: the system's life (start, crash, restart), the account's funding, and the
 * operations a person or a schedule runs (recovery, in-flight resolution, broker checks).
 */
export class Operator {
  constructor(private readonly context: ScenarioContext) {}

  /** Start the trading system on the scenario's log, with the routes and breakers configured so far. */
  startSystem(): SystemUnderTest {
    return this.context.session.start();
  }

  /** The first thing a scenario does: the system starts (unless a step before configured and started it), the account is funded at the system and at the broker, and the trading day begins. */
  openAccount(deposit: Decimal): void {
    if (!this.context.session.isRunning) this.startSystem();
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
    this.context.session.stop();
    await this.context.connection.dropAfterCrash();
  }

  /** A new instance after a crash: it opens on the log first, then connects to the broker. */
  async restart(): Promise<SystemUnderTest> {
    const system = this.startSystem();
    await this.context.connection.connectGateway();
    return system;
  }

  /** Stop, set the gateway up otherwise (other credentials, a skewed clock), start on the same log. */
  async restartWithGateway(setUp: (connection: BrokerConnection) => Promise<void>): Promise<SystemUnderTest> {
    this.context.session.stop();
    await setUp(this.context.connection);
    return this.startSystem();
  }

  async recover(): Promise<RecoveryReport> {
    return this.context.memory.remember('recovery', LATEST, await this.context.system.recover());
  }

  async resolveInFlightOrders(): Promise<InFlightResolution> {
    return this.context.memory.remember('inFlightResolution', LATEST, await this.context.system.resolveInFlightOrders());
  }

  checkBrokers(): Promise<void> {
    return this.context.system.checkBrokers();
  }

  reconcileBalance(trigger: string): Promise<StoredEvent> {
    return this.context.system.reconcileBalance(trigger);
  }

  /** Remember the system's state under a name, to compare with later ("before the crash"). */
  rememberState(name: string): void {
    this.context.memory.remember('snapshot', name, this.context.system.snapshot());
  }

  /** Time passes on the scenario's clock, then the orders in flight are resolved. */
  async resolveInFlightOrdersAfter(ms: number): Promise<InFlightResolution> {
    this.context.clock.advance(ms);
    return this.resolveInFlightOrders();
  }
}
