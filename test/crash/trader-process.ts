/**
 * The trading system of the crash-consistency test, in a process the test kills with SIGKILL.
 * Opens the system on the SQLite log it is given, recovers against the broker, settles what the
 * process before it left in flight, reports its state, then places the orders the test sends it.
 * Every event is told to the parent once it is on disk: the parent knows what was committed.
 */
import { SystemClock, SeededRandom } from '../../domain/shared';
import { NetworkBrokerGateway } from '../../domain/execution';
import { InstrumentRegistry } from '../../domain/model';
import { DEFAULT_SETTINGS, SqliteEventStore, StateProjection, dumpProjection } from '../../domain/state';
import { TradingSystem } from '../../domain/trading-system';
import { BROKER_NAME, CLOCK_TOLERANCE_MS, CREDENTIAL, DEPOSIT, MARK, RECEIVE_WINDOW_MS, SYMBOL, SettleMode, TraderCommand, TraderConfig, TraderMessage, TraderState } from './protocol';

/** Snapshots far more often than the default, so kills land before, after and during their writes and most restarts open from one. */
const SNAPSHOTS = { every: 25, onCloseAfter: 1 } as const;

/** The fields in which the state opened differs from a full replay of the log as it is on disk now (none: equal, field for field). */
function differencesFromFullReplay(system: TradingSystem, eventStorePath: string, defaults: Readonly<Record<string, string>>): string[] {
  const { verification, events } = SqliteEventStore.readVerifiedPrefix(eventStorePath);
  if (!verification.ok) return [`the log does not verify: ${verification.problem}`];
  const replayed = new StateProjection(new InstrumentRegistry(), defaults);
  replayed.replay(events);
  const theirs = dumpProjection(replayed);
  const ours = dumpProjection(system.state);
  return Object.keys({ ...theirs, ...ours })
    .filter(field => JSON.stringify(theirs[field]) !== JSON.stringify(ours[field]))
    .map(field => `${field}: opened ${JSON.stringify(ours[field]).slice(0, 2000)}, replayed ${JSON.stringify(theirs[field]).slice(0, 2000)}`);
}

/** Settle in-flight orders at most this many rounds: a broker that keeps failing the query fails the run instead of spinning. */
const MAX_SETTLE_ROUNDS = 20;

function send(message: TraderMessage): void {
  process.send?.(message);
}

const commands: TraderCommand[] = [];
let commandArrived: (() => void) | null = null;
process.on('message', (command: TraderCommand) => {
  commands.push(command);
  commandArrived?.();
});

async function nextCommand(): Promise<TraderCommand> {
  while (commands.length === 0) await new Promise<void>(resolve => (commandArrived = resolve));
  commandArrived = null;
  return commands.shift() as TraderCommand;
}

function snapshot(system: TradingSystem): TraderState {
  const state = system.state;
  return {
    orders: [...state.orders.values()].map(o => ({
      clientOrderId: o.clientOrderId,
      status: o.status,
      ...(o.brokerOrderId === undefined ? {} : { brokerOrderId: o.brokerOrderId }),
      filledQuantity: o.filledQuantity.toString(),
    })),
    positions: [...state.positions.values()].map(p => ({ symbol: p.symbol, netQuantity: p.netQuantity.toString(), averageEntryPrice: p.averageEntryPrice.toString() })),
    cash: state.account().cash.toString(),
    tradeIds: [...state.tradeIds],
    lastSeq: state.lastSeq,
  };
}

/** Orders sent whose outcome the log does not know: no acknowledgement, fill or refusal yet. */
function inFlight(system: TradingSystem) {
  return system.state.workingOrders().filter(o => o.status === 'submitted');
}

/** Resolves at the next event the system records, or at the given time, whichever comes first. */
function nextEventOrTime(system: TradingSystem, atMs: number): Promise<void> {
  return new Promise(resolve => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, atMs - Date.now()));
    const unsubscribe = system.ledger.subscribe(done);
  });
}

/**
 * Orders the previous process left in flight: a report may still settle each (its request reached
 * the broker late), or it can no longer arrive once the receive window since its signing has
 * passed, and the in-flight resolver closes it. 'resolve-now' asks the broker at once, and so sends
 * again under the same id what the broker does not have yet.
 */
async function settleInFlight(system: TradingSystem, mode: SettleMode): Promise<number> {
  let resolutions = 0;
  if (mode === 'resolve-now' && inFlight(system).length > 0) {
    await system.resolveInFlightOrders();
    resolutions += 1;
  }
  for (let pending = inFlight(system); pending.length > 0; pending = inFlight(system)) {
    if (resolutions >= MAX_SETTLE_ROUNDS) throw new Error(`orders still in flight after ${resolutions} resolutions: ${pending.map(o => o.clientOrderId).join(', ')}`);
    const givenUpAtMs = Math.min(...pending.map(o => Date.parse(o.signedAt ?? o.updatedAt))) + RECEIVE_WINDOW_MS + CLOCK_TOLERANCE_MS + 1;
    await nextEventOrTime(system, givenUpAtMs);
    if (Date.now() >= givenUpAtMs) {
      await system.resolveInFlightOrders();
      resolutions += 1;
    }
  }
  // An answer over REST comes after the channel delivered every report sent before it: the fills of a late order are in.
  await system.reconcileBalance('in-flight orders settled');
  return resolutions;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as TraderConfig;
  const clock = new SystemClock();
  const random = new SeededRandom(config.seed);
  const gateway = new NetworkBrokerGateway({
    name: BROKER_NAME,
    baseUrl: config.brokerUrl,
    apiKey: CREDENTIAL.key,
    apiSecret: CREDENTIAL.secret,
    clock,
    random: () => random.next(),
    receiveWindowMs: RECEIVE_WINDOW_MS,
    retry: { attempts: 3, baseDelayMs: 50 },
  });
  const defaultSettings = { ...DEFAULT_SETTINGS, broker_receive_window_ms: String(RECEIVE_WINDOW_MS), broker_clock_tolerance_ms: String(CLOCK_TOLERANCE_MS) };
  const system = TradingSystem.open({
    eventStorePath: config.eventStorePath,
    broker: gateway,
    clock,
    circuitBreakers: 'disarmed',
    reconciliation: 'automatic',
    defaultSettings,
    snapshots: SNAPSHOTS,
  });
  // Before anything is recorded: the state opened, against the log it was opened from.
  const openedDiffersFromFullReplay = differencesFromFullReplay(system, config.eventStorePath, defaultSettings);
  system.ledger.subscribe(event => {
    const clientOrderId = 'clientOrderId' in event.payload && typeof event.payload.clientOrderId === 'string' ? { clientOrderId: event.payload.clientOrderId } : {};
    send({ type: 'event', seq: event.seq, hash: event.hash, eventType: event.type, ...clientOrderId });
  });
  const last = system.eventsReplayed > 0 ? system.ledger.store.read(system.eventsReplayed)[0] : undefined;
  const inFlightAtOpen = inFlight(system).map(o => o.clientOrderId);
  // The log first, then the user channel: what the broker sent while no process ran is in its REST history.
  await gateway.connect().catch(() => undefined);
  if (system.eventsReplayed === 0) {
    system.fund(DEPOSIT);
    system.startTradingDay();
  }
  const recoveryStartedAtMs = Date.now();
  // As in production: the books against the broker's before anything trades; live reports wait until its history is applied.
  const startUp = await system.reconcileAtStartUp();
  if (startUp && (startUp.status !== 'complete' || system.state.reconciliation.openItems.size > 0)) {
    throw new Error(`start-up reconciliation ${startUp.runId} ${startUp.status}: ${JSON.stringify(startUp.discrepancies)}`);
  }
  await system.recover();
  await system.reconcileBalance('restart');
  const recoveredAtMs = Date.now();
  system.updateMark(SYMBOL, MARK);
  send({
    type: 'recovered',
    eventsReplayed: system.eventsReplayed,
    head: last ? { seq: last.seq, hash: last.hash } : null,
    inFlightAtOpen,
    recoveryStartedAtMs,
    recoveredAtMs,
    state: snapshot(system),
    openedFrom: system.logOpening.from,
    openedDiffersFromFullReplay,
  });
  const resolutions = await settleInFlight(system, config.settle);
  const logCheck = await system.logChecked;
  send({ type: 'settled', state: snapshot(system), resolutions, logCheck: logCheck.status === 'corrupted' ? logCheck.error.message : logCheck.status });

  for (let command = await nextCommand(); ; command = await nextCommand()) {
    if (command.type === 'stop') break;
    for (const order of command.plan) {
      await system.coordinator.place({ clientOrderId: order.clientOrderId, symbol: SYMBOL, side: order.side, type: order.type, quantity: order.quantity, ...(order.limitPrice ? { limitPrice: order.limitPrice } : {}) });
    }
    send({ type: 'loop-done' });
  }
  system.close();
  await gateway.close();
  process.disconnect();
}

main().catch(error => {
  process.exitCode = 1;
  const message: TraderMessage = { type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  // The channel closes only once the failure is on its way: the parent reads why, not just that it ended.
  process.send?.(message, () => process.disconnect());
});
