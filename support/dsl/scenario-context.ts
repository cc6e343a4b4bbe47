import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerSimulatorCore } from '../simulators/broker';
import { MarketSimulator } from '../simulators/market';
import { BrokerConnection, type MarketDataFaultControls, type Signing, TRADER_KEY, brokerTransport } from '../broker-connection';
import { runSeed } from '../run-context';
import { DEFAULT_INSTRUMENTS, JsonLinesLogger, SeededRandom, VirtualClock } from '../sut';
import type { SystemConfiguration, SystemUnderTest, SystemUnderTestDriver } from '../sut';
import { ScenarioMemory } from './scenario-memory';
import { RaisedErrors } from './raised-errors';
import { SystemSession } from './system-session';

/**
 * Where scenarios keep their event logs: SUITE_DATA_DIR, else a memory-backed folder where the
 * machine has one. The log syncs every append (synchronous FULL), and a scenario's crash is its
 * process stopping, never the disk losing power: on a disk those syncs were half the suite's CPU.
 */
function scenarioDataRoot(): string {
  if (process.env.SUITE_DATA_DIR) return process.env.SUITE_DATA_DIR;
  try {
    accessSync(MEMORY_BACKED_DIR, constants.W_OK);
    return MEMORY_BACKED_DIR;
  } catch {
    return tmpdir();
  }
}
const MEMORY_BACKED_DIR = '/dev/shm';

/** Business time when every scenario starts: a Monday afternoon, markets open. */
const SCENARIO_START = '2026-01-05T14:30:00.000Z';

/**
 * Everything one scenario owns: its clock and seeded randomness, the broker it trades with (in
 * process, or a server behind a fault proxy), the trading system's session, what it remembers and
 * the errors it must account for. The actors of the DSL share it; nothing here is a step's business.
 */
export class ScenarioContext {
  readonly seed = runSeed();
  readonly random = new SeededRandom(this.seed);
  /** Random, not seeded: the seed is printed in the report, and must not give away the broker's secret. */
  readonly apiSecret = randomBytes(32).toString('hex');
  readonly clock = new VirtualClock(SCENARIO_START);
  readonly transport = brokerTransport();
  readonly broker = new BrokerSimulatorCore({ name: 'SIM', clock: this.clock, instruments: DEFAULT_INSTRUMENTS });
  /** The venue's market: every mark a scenario sets goes through it to the broker's book (and, with the feed, to the system). */
  readonly market = new MarketSimulator({ clock: this.clock, random: () => this.random.next(), broker: this.broker, instruments: DEFAULT_INSTRUMENTS });
  readonly memory = new ScenarioMemory();
  readonly errors = new RaisedErrors();
  /** The system's structured log, one JSON object a line. */
  readonly logLines: string[] = [];
  readonly session: SystemSession;
  /** Circuit breakers run only where a scenario arms them before the system starts (the 4.1 spec predates them). */
  circuitBreakers: 'armed' | 'disarmed' = 'disarmed';
  /**
   * Where the system's marks come from: the desk (a step hands the system its mark, as the earlier
   * sections were written) or the venue's market data feed (marks, books and trading status as the
   * venue publishes them, the market checks in every decision). A configuration of the start.
   */
  marketData: 'desk' | 'venue feed' = 'venue feed';
  /**
   * Whether the system reconciles by itself (start-up, reconnect, schedule) or only when a step asks.
   * The earlier sections drive recovery and reconciliation step by step, so they start on request;
   * plan 4.5's scenarios (@reconciliation) run the system as it runs in production, automatic.
   */
  reconciliation: 'automatic' | 'on request' = 'on request';
  /** What the trading system's client order ids start with (see nameOrders). */
  private clientOrderIdPrefix: string | undefined;
  private readonly logger = new JsonLinesLogger(line => this.logLines.push(line), this.clock);
  private primary: BrokerConnection | null = null;
  /** What the system signs its requests with at its next start: the trader's key, the broker's secret, a true clock, unless a scenario says otherwise. */
  private signing: Signing = { apiKey: TRADER_KEY, apiSecret: this.apiSecret, clockSkewMs: 0 };
  /** Other routes to the same broker account, in the order the system falls back to them. */
  private readonly fallbacks: BrokerConnection[] = [];
  /** Made when first needed, so a scenario that never runs (a dry run) leaves no folder behind. */
  private dir: string | null = null;

  constructor(driver: SystemUnderTestDriver) {
    this.session = new SystemSession(driver, () => this.configuration(), this.errors);
  }

  get dataDir(): string {
    this.dir ??= mkdtempSync(join(scenarioDataRoot(), 'trading-spec-'));
    return this.dir;
  }

  /** The running trading system (it never starts one: a step does). */
  get system(): SystemUnderTest {
    return this.session.system;
  }

  /** Open the broker: the simulator, and on the wire its server and the fault proxy in front of it. */
  async connectBroker(): Promise<void> {
    if (this.primary) return;
    this.primary = await this.openConnection('SIM');
  }

  get connection(): BrokerConnection {
    if (!this.primary) throw new Error('the broker is not connected: the Before hook connects it');
    return this.primary;
  }

  /** Routes are configuration of a start: a fallback route is added while the system is down. */
  async addFallbackRoute(name: string): Promise<void> {
    if (this.session.isRunning) throw new Error('fallback routes are configured before the trading system starts');
    this.fallbacks.push(await this.openConnection(name));
  }

  /** Credentials and the clock they are signed by are configuration of a start too. */
  signWith(signing: Signing): void {
    if (this.session.isRunning) throw new Error('the credentials are configured before the trading system starts');
    this.signing = signing;
  }

  /** A route by the name the system knows it by: the broker, or a fallback. */
  route(name: string): BrokerConnection {
    const routes = [this.connection, ...this.fallbacks];
    const route = routes.find(c => c.name === name);
    if (!route) throw new Error(`no route to a broker named ${name}; routes: ${routes.map(c => c.name).join(', ')}`);
    return route;
  }

  private openConnection(name: string): Promise<BrokerConnection> {
    return BrokerConnection.open(this.transport, {
      name,
      core: this.broker,
      clock: this.clock,
      random: () => this.random.next(),
      apiSecret: this.apiSecret,
      nextBrokerError: () => this.session.forEvent('the failure to be recorded as a broker error', e => e.type === 'BrokerErrorRecorded', this.system.events.mark()),
      untilSystemHasReports: seq =>
        this.session.until(`the system to take the reports of route ${name} up to ${seq}`, () => !this.session.isRunning || this.system.lastReportSequence(name) >= seq),
      background: (what, work) => this.errors.background(what, work),
      ...(name === 'SIM' ? { marketFeed: this.market } : {}),
    });
  }

  /** Where the system takes its marks from at its next start. */
  takeMarketDataFrom(source: 'desk' | 'venue feed'): void {
    if (this.session.isRunning) throw new Error('the market data source is configured before the trading system starts');
    this.marketData = source;
  }

  /** Client order ids that tell this scenario's orders from another's in a report: "IF217" gives IF217-000001. */
  nameOrders(prefix: string): void {
    if (this.session.isRunning) throw new Error('client order ids are named before the trading system starts');
    this.clientOrderIdPrefix = prefix;
  }

  /** Whether the system reconciles by itself from its next start. */
  reconcile(mode: 'automatic' | 'on request'): void {
    if (this.session.isRunning) throw new Error('reconciliation is configured before the trading system starts');
    this.reconciliation = mode;
  }

  /** The faults of the venue's market data feed (the primary route serves it). */
  get marketDataFaults(): MarketDataFaultControls {
    return this.connection.marketDataFaults;
  }

  private configuration(): SystemConfiguration {
    return {
      dataDir: this.dataDir,
      routes: [this.connection, ...this.fallbacks].map(c => c.route(this.signing)),
      clock: this.clock,
      random: () => this.random.next(),
      logger: this.logger,
      circuitBreakers: this.circuitBreakers,
      reconciliation: this.reconciliation,
      clientOrderIdPrefix: this.clientOrderIdPrefix,
      ...(this.marketData === 'venue feed' ? { marketData: this.connection.marketDataRoute() } : {}),
    };
  }

  async dispose(): Promise<void> {
    await this.session.stop();
    await this.primary?.close();
    this.primary = null;
    for (const fallback of this.fallbacks.splice(0)) await fallback.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
