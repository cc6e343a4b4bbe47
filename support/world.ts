import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IWorldOptions, World } from '@cucumber/cucumber';
import { VirtualClock } from '../domain/shared/clock';
import { Decimal } from '../domain/shared/decimal';
import { SeededRandom } from '../domain/shared/random';
import { DEFAULT_INSTRUMENTS } from '../domain/model/instrument';
import { Order } from '../domain/model/order';
import { RecoveryReport, TradingSystem } from '../domain/trading-system';
import { JsonLinesLogger } from '../domain/telemetry/logger';
import { StoredEvent } from '../domain/state/events';
import { SETTING_LABELS } from '../domain/state/runtime-settings';
import { ModifyResult, PlaceResult, CancelResult } from '../domain/execution/execution-coordinator';
import { OrderInput } from '../domain/execution/order-input';
import { SizingResult } from '../domain/risk/position-sizer';
import { BrokerSimulatorCore } from './simulators/broker';
import { BrokerGateway } from '../domain/execution/broker-gateway';
import { BrokerConnection, BrokerFaults, brokerTransport } from './broker-connection';
import { runSeed } from './run-context';

/** Depth the simulated market offers at the mark on both sides unless a scenario scripts the book. */
export const DEFAULT_BOOK_DEPTH = new Decimal(1000);
const DEFAULT_WAIT_MS = 2000;

const LABEL_TO_SETTING = new Map(Object.entries(SETTING_LABELS).map(([key, label]) => [label, key]));

/**
 * One fresh trading system per scenario: its own event log file in a temp folder, its own
 * simulated broker, a virtual clock and a seeded generator. Steps talk to the system through here.
 */
export class TradingWorld extends World {
  readonly seed = runSeed();
  readonly random = new SeededRandom(this.seed);
  /** Random, not seeded: the seed is printed in the report, and must not give away the broker's secret. */
  readonly apiSecret = randomBytes(32).toString('hex');
  readonly clock = new VirtualClock('2026-01-05T14:30:00.000Z');
  /** Made when first needed, so a World that never runs (a dry run) leaves no folder behind. */
  private scenarioDir: string | null = null;

  get eventStorePath(): string {
    this.scenarioDir ??= mkdtempSync(join(tmpdir(), 'trading-spec-'));
    return join(this.scenarioDir, 'events.sqlite');
  }
  readonly broker = new BrokerSimulatorCore({ name: 'SIM', clock: this.clock, instruments: DEFAULT_INSTRUMENTS });
  readonly transport = brokerTransport();
  /** The broker as the scenario reaches it: in process, or over HTTP + WebSocket through a fault proxy. */
  private brokerConnection: BrokerConnection | null = null;
  private current: TradingSystem | null = null;
  /** Errors of work a step started without waiting for it (it may outlive a crash). */
  readonly backgroundErrors: unknown[] = [];

  lastPlace: PlaceResult | null = null;
  lastCancel: CancelResult | null = null;
  lastModify: ModifyResult | null = null;
  lastError: Error | null = null;
  /** An order a step set aside to talk about later when "the last order" does not name it. */
  focusOrderId: string | null = null;
  /** The order that "the working order" refers to. */
  workingOrderId: string | null = null;
  readonly placeResults: PlaceResult[] = [];
  /** Orders sent together (a basket, a burst). */
  basket: PlaceResult[] = [];
  /** The log length before the last order was placed, to find what that order left behind. */
  seqBeforeLastPlace = 0;
  sizing: SizingResult | null = null;
  snapshotBeforeCrash: Record<string, unknown> | null = null;
  recovery: RecoveryReport | null = null;
  /** The broker's answer to a replayed request (a security scenario). */
  replayAnswer: { status: number; body: string } | null = null;
  /** A log position a step remembers to look for later events from. */
  seqMark = 0;
  /** How many requests the broker had answered when a step looked (counting those its bounded log dropped). */
  httpLogMark = 0;
  /** Circuit breakers run only where a scenario arms them before the system starts (the 4.1 spec predates them). */
  circuitBreakers: 'armed' | 'disarmed' = 'disarmed';

  constructor(options: IWorldOptions) {
    super(options);
  }

  /** The system's structured log, one JSON object a line. */
  readonly logLines: string[] = [];
  private readonly logger = new JsonLinesLogger(line => this.logLines.push(line), this.clock);

  /** Start the broker simulator (and on the wire its server, proxy and the gateway's connection). */
  async connectBroker(): Promise<void> {
    if (this.brokerConnection) return;
    this.brokerConnection = await BrokerConnection.open(this.transport, {
      name: 'SIM',
      core: this.broker,
      clock: this.clock,
      random: () => this.random.next(),
      apiSecret: this.apiSecret,
    });
  }

  get connection(): BrokerConnection {
    if (!this.brokerConnection) throw new Error('the broker is not connected: the Before hook starts it');
    return this.brokerConnection;
  }

  get gateway(): BrokerGateway {
    return this.connection.gateway;
  }

  get faults(): BrokerFaults {
    return this.connection.faults;
  }

  /** Other routes to the same broker account, in the order the system falls back to them. */
  readonly fallbackConnections: BrokerConnection[] = [];

  async addFallbackRoute(name: string): Promise<void> {
    if (this.current) throw new Error('fallback routes are configured before the trading system starts');
    this.fallbackConnections.push(
      await BrokerConnection.open(this.transport, { name, core: this.broker, clock: this.clock, random: () => this.random.next(), apiSecret: this.apiSecret }),
    );
  }

  /** Restart the system on the same log with a gateway set up otherwise (other credentials, a skewed clock). */
  async restartWithGateway(setUp: (connection: BrokerConnection) => Promise<void>): Promise<void> {
    this.current?.close();
    this.current = null;
    await setUp(this.connection);
    void this.system;
  }

  get system(): TradingSystem {
    if (!this.current) {
      const system = TradingSystem.open({
        eventStorePath: this.eventStorePath,
        broker: this.gateway,
        fallbackBrokers: this.fallbackConnections.map(c => c.gateway),
        clock: this.clock,
        logger: this.logger,
        circuitBreakers: this.circuitBreakers,
      });
      system.ledger.subscribe(event => {
        if (event.type === 'BrokerErrorRecorded' && this.connection.restoreProxyOnNextError) void this.connection.restoreProxy();
      });
      this.current = system;
    }
    return this.current;
  }

  /** Run work a step does not wait for; its failure is kept, not thrown into the void. */
  background(work: Promise<unknown>): void {
    work.catch(error => this.backgroundErrors.push(error));
  }

  get systemIsRunning(): boolean {
    return this.current !== null;
  }

  fund(amount: Decimal): void {
    this.system.fund(amount.toString());
    this.broker.deposit(amount);
    this.system.startTradingDay();
  }

  /** The market moves: the system's mark, the broker's mark and the book around it. */
  mark(symbol: string, price: Decimal): void {
    this.system.updateMark(symbol, price);
    this.broker.setMark(symbol, price);
    this.broker.setBook(symbol, 'asks', [{ price, quantity: DEFAULT_BOOK_DEPTH }]);
    this.broker.setBook(symbol, 'bids', [{ price, quantity: DEFAULT_BOOK_DEPTH }]);
  }

  settingKey(label: string): string {
    const key = LABEL_TO_SETTING.get(label);
    if (!key) throw new Error(`unknown setting label "${label}"; known: ${[...LABEL_TO_SETTING.keys()].join('; ')}`);
    return key;
  }

  changeSettings(changes: Record<string, string>, actor = 'risk officer', reason = 'scenario set-up'): StoredEvent {
    return this.system.changeSettings(changes, actor, reason);
  }

  async place(input: OrderInput): Promise<PlaceResult> {
    this.seqBeforeLastPlace = this.system.ledger.store.length;
    const result = await this.system.coordinator.place(input);
    this.lastPlace = result;
    this.placeResults.push(result);
    return result;
  }

  /** Place and wait until the order has settled (filled, cancelled or resting at the broker). */
  async placeAndSettle(input: OrderInput): Promise<PlaceResult> {
    const result = await this.place(input);
    if (result.outcome === 'accepted') await this.settle(result.order.clientOrderId);
    return result;
  }

  lastOrder(): Order {
    const result = this.lastPlace;
    if (!result) throw new Error('no order was placed in this scenario');
    if (result.outcome === 'rejected' && result.stage === 'input') throw new Error(`the last order was refused as input: ${result.error.message}`);
    return this.system.state.order(result.order.clientOrderId);
  }

  workingOrder(): Order {
    if (!this.workingOrderId) throw new Error('no working order in this scenario');
    return this.system.state.order(this.workingOrderId);
  }

  /**
   * Wait until every report the broker has sent for an order has been applied: the broker's own
   * view of the order and ours agree on filled quantity and openness.
   */
  async settle(clientOrderId: string): Promise<void> {
    await this.waitUntil(`order ${clientOrderId} to settle`, () => {
      const view = this.broker.allOrders().find(o => o.clientOrderId === clientOrderId);
      const local = this.system.state.orders.get(clientOrderId);
      if (!view || !local) throw new Error(`order ${clientOrderId} is not known ${view ? 'here' : 'at the broker'}: nothing to settle`);
      const brokerOpen = view.status === 'open' || view.status === 'partially_filled';
      const localOpen = local.status === 'acknowledged' || local.status === 'partially_filled';
      return local.filledQuantity.eq(view.filledQuantity) && brokerOpen === localOpen;
    });
  }

  /** Wait for the first event (from a sequence number on) that matches, as it is appended. */
  waitForEvent(description: string, match: (event: StoredEvent) => boolean, fromSeq = 1, timeoutMs = DEFAULT_WAIT_MS): Promise<StoredEvent> {
    const store = this.system.ledger.store;
    const existing = store.read(fromSeq).find(match);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}`));
      }, timeoutMs);
      const unsubscribe = this.system.ledger.subscribe(event => {
        if (event.seq >= fromSeq && match(event)) {
          clearTimeout(timer);
          unsubscribe();
          resolve(event);
        }
      });
    });
  }

  /** Re-check a condition after each appended event until it holds. */
  waitUntil(description: string, condition: () => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}`));
      }, timeoutMs);
      const unsubscribe = this.system.ledger.subscribe(() => {
        if (condition()) {
          clearTimeout(timer);
          unsubscribe();
          resolve();
        }
      });
    });
  }

  /** Wait for the reconciliation a fill triggers (for a fill read from the history: the end of its synchronisation), so assertions see its result. */
  async reconciliationsSettled(): Promise<void> {
    await this.waitUntil('every fill to be reconciled', () => {
      const events = this.system.ledger.store.read();
      const fills = events.filter(e => e.type === 'OrderFilled' && !e.payload.fromHistory).length;
      const reconciled = events.filter(e => (e.type === 'PositionReconciled' || e.type === 'ReconciliationSkipped') && e.payload.trigger.startsWith('fill')).length;
      const lastFromHistory = events.filter(e => e.type === 'OrderFilled' && e.payload.fromHistory).pop();
      const historySettled = !lastFromHistory || events.some(e => (e.type === 'StateSynchronised' || e.type === 'BrokerSyncFailed') && e.seq > lastFromHistory.seq);
      return reconciled >= fills && historySettled;
    });
  }

  eventsFor(clientOrderId: string): StoredEvent[] {
    return this.system.events.filter(e => 'clientOrderId' in e.payload && e.payload.clientOrderId === clientOrderId);
  }

  /** Simulate a crash: the process dies with its connections; the log file and the broker live on. */
  async crash(): Promise<void> {
    this.current?.close();
    this.current = null;
    await this.connection.dropAfterCrash();
  }

  /** A new instance after a crash: it opens on the log first, then connects to the broker. */
  async restartAfterCrash(): Promise<TradingSystem> {
    const system = this.system;
    await this.connection.connectGateway();
    return system;
  }

  async dispose(): Promise<void> {
    this.current?.close();
    this.current = null;
    await this.brokerConnection?.close();
    this.brokerConnection = null;
    for (const fallback of this.fallbackConnections.splice(0)) await fallback.close();
    if (this.scenarioDir) rmSync(this.scenarioDir, { recursive: true, force: true });
  }
}
