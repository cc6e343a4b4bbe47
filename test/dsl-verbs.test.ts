import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IWorldOptions } from '@cucumber/cucumber';
import { Decimal } from '../support/sut';
import type { OrderInput } from '../support/sut';
import type { BrokerTransport } from '../support/broker-connection';
import { IN_FLIGHT_ORDER, WORKING_ORDER } from '../support/dsl';
import { TradingWorld } from '../support/world';

// The DSL's reads and waits a Then relies on, each asked with a wrong candidate beside the right one.

// runSeed() reads SEED once, when the first world asks for it: a fixed seed replays the same run.
process.env.SEED ??= '20260105';

const WORLD_OPTIONS: IWorldOptions = { attach: (() => undefined) as never, log: () => undefined, link: () => undefined, parameters: {} };

const tcpHandles = () => process.getActiveResourcesInfo().filter(r => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;

/** A closed server releases its handle on a later turn of the event loop: give it a few turns, then count. */
async function expectNoSocketLeftOpen(before: number): Promise<void> {
  for (let turn = 0; turn < 50 && tcpHandles() > before; turn += 1) await new Promise(resolve => setImmediate(resolve));
  assert.equal(tcpHandles() - before, 0, `sockets left open: ${JSON.stringify(process.getActiveResourcesInfo())}`);
}

/** One scenario's world on a transport, as the Before and After hooks give it: the broker connected, then everything closed. */
async function inScenario(transport: BrokerTransport, steps: (world: TradingWorld) => Promise<void>): Promise<void> {
  const before = tcpHandles();
  const previous = process.env.BROKER_TRANSPORT;
  process.env.BROKER_TRANSPORT = transport;
  const world = new TradingWorld(WORLD_OPTIONS);
  if (previous === undefined) delete process.env.BROKER_TRANSPORT;
  else process.env.BROKER_TRANSPORT = previous;
  try {
    await world.context.connectBroker();
    await steps(world);
    assert.deepEqual(world.context.errors.unchecked(), [], 'errors no check took');
  } finally {
    await world.context.dispose();
    await expectNoSocketLeftOpen(before);
  }
}

/** The account and market of the broker-error scenarios' background. */
async function fundedAndMarked(world: TradingWorld): Promise<void> {
  await world.operator.openAccount(new Decimal(100_000));
  await world.market.markEach([
    { symbol: 'BTC-PERP', price: new Decimal(50_000) },
    { symbol: 'ETH-PERP', price: new Decimal(3_000) },
  ]);
  world.riskOfficer.setLimits({
    'max leverage (x)': '3',
    'max order notional (USD)': '250,000',
    'max position per symbol (% of equity)': '300',
    'max gross exposure (% of equity)': '300',
    'max net exposure (% of equity)': '300',
    'max correlated exposure (% of equity)': '300',
  });
}

const buyAtMarket = (quantity: string, symbol = 'BTC-PERP'): OrderInput => ({ symbol, side: 'buy', type: 'market', quantity });

test('the broker\'s answers of one status are told apart by their code', () =>
  inScenario('wire', async world => {
    await fundedAndMarked(world);
    // A read is sent again after either: the third query is answered.
    world.venue.answerNextBalanceQueries(1, '503 UNAVAILABLE');
    world.venue.answerNextBalanceQueries(1, '503 MAINTENANCE');
    assert.equal((await world.operator.reconcileBalance('scheduled')).type, 'BalanceReconciled');
    assert.deepEqual(world.venue.answers(503, 'MAINTENANCE').map(a => `${a.status} ${a.code}`), ['503 MAINTENANCE']);
    assert.deepEqual(world.venue.answers(503, 'UNAVAILABLE').map(a => `${a.status} ${a.code}`), ['503 UNAVAILABLE']);
  }));

test('the broker\'s books for the last order count its own place requests, not an earlier order\'s', () =>
  inScenario('in-process', async world => {
    await fundedAndMarked(world);
    await world.trader.placeAccepted(buyAtMarket('0.1'));
    await world.trader.placeAccepted(buyAtMarket('0.2'));
    assert.deepEqual(world.venue.lastOrderAtBroker(), { placed: 1, booked: 1 });
  }));

test('the held requests have reached the broker once it has answered the order among them, not the cancel held ahead of it', () =>
  inScenario('wire', async world => {
    await fundedAndMarked(world);
    await world.trader.placeAccepted({ symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: '1', limitPrice: '49000' }, WORKING_ORDER);
    world.network.holdRequests();
    // The cancel goes out on the connection the system already has, the order on a new one: the cancel reaches the broker first.
    await world.trader.askToCancel(WORKING_ORDER);
    const cancelHeld = await world.network.untilHoldingMoreThan(0);
    await world.trader.sendWithoutWaiting(buyAtMarket('2'));
    await world.network.untilHoldingMoreThan(cancelHeld);
    await world.network.crashWithRequestHeld();
    await world.operator.restart();
    await world.operator.recover();
    assert.equal(world.venue.orderDesk(IN_FLIGHT_ORDER).booked, 0, 'the order is still on the network');
    await world.network.releaseHeldRequests();
    assert.equal(world.venue.orderDesk(IN_FLIGHT_ORDER).booked, 1, 'the held order has reached the broker');
  }));

test('the books after a refused message are read once the resynchronisation it set off has ended', () =>
  inScenario('wire', async world => {
    await fundedAndMarked(world);
    await world.trader.placeAccepted(buyAtMarket('1'));
    await world.trader.placeAccepted({ symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: '1', limitPrice: '49000' }, WORKING_ORDER);
    // A trade whose report never comes: only the resynchronisation after the refusal finds it.
    world.executions.tradeUnreported('BTC-PERP', new Decimal('0.5'));
    await world.userChannel.sendBadMessage('malformed JSON');
    const books = await world.userChannel.booksAfterRefusal('BTC-PERP');
    assert.equal(books.before.position, '1');
    assert.equal(books.now.position, '1.5', 'the fill the resynchronisation recovered');
  }));

test('the broker errors of a kind with a code leave out those of the kind with another code', () =>
  inScenario('in-process', async world => {
    await fundedAndMarked(world);
    world.venue.books.rejectNextOrder('INSUFFICIENT_MARGIN', 'scripted refusal');
    await world.trader.place(buyAtMarket('1'));
    world.venue.books.rejectNextOrder('SCRIPTED_REJECT', 'scripted refusal');
    await world.trader.place(buyAtMarket('1'));
    assert.deepEqual(world.brokerErrors.ofKind('BrokerRejected', 'INSUFFICIENT_MARGIN').map(e => e.payload.reasonCode), ['INSUFFICIENT_MARGIN']);
    assert.equal(world.brokerErrors.ofKind('BrokerRejected').length, 2);
  }));

test('the retries after an error of a kind leave out the retries after another kind', () =>
  inScenario('wire', async world => {
    await fundedAndMarked(world);
    world.venue.failNextOrderRequests(1, '429 RATE_LIMITED');
    world.venue.failNextOrderRequests(1, '503 MAINTENANCE');
    assert.equal((await world.trader.placeAndSettle(buyAtMarket('0.1'))).outcome, 'accepted');
    assert.deepEqual(world.brokerErrors.retries('submit', 'RateLimited').map(r => r.payload.attempt), [1]);
    assert.deepEqual(world.brokerErrors.retries('submit', 'BrokerUnavailable').map(r => r.payload.attempt), [2]);
  }));

test('the broker error of the last order is its own, though another error was recorded after it', () =>
  inScenario('in-process', async world => {
    await fundedAndMarked(world);
    world.venue.books.rejectNextOrder('INSUFFICIENT_MARGIN', 'scripted refusal');
    const placement = await world.trader.place(buyAtMarket('1'));
    assert.equal(placement.outcome, 'rejected');
    world.venue.faults.unreachableForNextRequest();
    await world.operator.reconcileBalance('scheduled');
    assert.equal(world.brokerErrors.latest().payload.operation, 'balance', 'a later error, of no order');
    const { recorded } = world.brokerErrors.forLastOrder();
    assert.equal(recorded.payload.clientOrderId, world.trader.idOf());
    assert.equal(recorded.payload.reasonCode, 'INSUFFICIENT_MARGIN');
  }));

/** The scenario's fallback: a route SIM-B, the primary down, three orders into the outage; the system switches to SIM-B. */
async function switchedToFallback(world: TradingWorld): Promise<void> {
  await fundedAndMarked(world);
  await world.routes.addFallback('SIM-B');
  await world.network.goDown();
  await world.routes.placeRepeatedly(buyAtMarket('0.1'), 3);
  assert.equal((await world.routes.switchTo('SIM-B')).active, 'SIM-B');
}

test('the synchronisations before a switch of route leave out one with the route after the switch', () =>
  inScenario('wire', async world => {
    await switchedToFallback(world);
    // A recovery after the switch synchronises with the route now in use.
    await world.operator.recover();
    assert.deepEqual(await world.routes.switchTo('SIM-B'), { synchronisationsBefore: 1, active: 'SIM-B' });
  }));

test('a route marked unhealthy since the last health test is not the change that found it healthy in that test', () =>
  inScenario('wire', async world => {
    await switchedToFallback(world);
    await world.network.comeBack();
    await world.routes.checkBrokersAfter(2);
    assert.equal((await world.routes.switchTo('SIM')).active, 'SIM', 'the check found SIM healthy again');
    await world.network.goDown();
    for (let i = 0; i < 3; i += 1) await world.trader.place(buyAtMarket('0.1'));
    const change = await world.routes.unhealthy('SIM');
    assert.deepEqual({ healthy: change.payload.healthy, reason: change.payload.reason }, { healthy: false, reason: '3 failures in a row' });
  }));

test('a skipped reconciliation counts the reconciliations since the fault, not one before it', () =>
  inScenario('wire', async world => {
    await fundedAndMarked(world);
    await world.trader.placeAccepted(buyAtMarket('1'));
    assert.equal((await world.trader.reconciledPosition('BTC-PERP')).reconciliations.length, 1, 'reconciled before the fault');
    world.venue.failNextPositionQueries(3, '500 INTERNAL');
    await world.trader.placeAndSettle(buyAtMarket('1'));
    const { skipped, reconciledSince } = await world.brokerReconciliation.skippedReconciliation('BTC-PERP');
    assert.equal(skipped.payload.errorKind, 'BrokerUnavailable');
    assert.equal(reconciledSince, 0);
  }));

test('the liquidations are the orders the breakers liquidated with, not a liquidation that failed', () =>
  inScenario('in-process', async world => {
    assert.equal(await world.riskOfficer.armBreakers(), true);
    await world.operator.openAccount(new Decimal(100_000));
    await world.market.markEach([{ symbol: 'BTC-PERP', price: new Decimal(50_000) }]);
    world.riskOfficer.setLimits({ 'max position per symbol (% of equity)': '100' });
    world.riskOfficer.setBreakerLevels([{ breaker: 'price move', warning: '8', critical: '10' }]);
    world.riskOfficer.changeSettings({ position_leverage: '4' }, 'venue leverage');
    await world.trader.placeAccepted(buyAtMarket('0.3'));
    // The book takes 0.25 of the 0.3: two slices fill, the third finds no bid.
    await world.market.moveAfter(60_000, 'BTC-PERP', new Decimal(44_000), [
      { price: new Decimal(44_000), quantity: new Decimal('0.1') },
      { price: new Decimal(43_990), quantity: new Decimal('0.15') },
    ]);
    const liquidations = await world.circuitBreakers.liquidations();
    assert.deepEqual(liquidations.map(l => l.filled.toString()), ['0.1', '0.15']);
    const failed = world.eventLog.breakerEvents('BreakerActionTaken').filter(e => e.payload.action === 'liquidate' && e.payload.outcome === 'failed');
    assert.deepEqual(failed.map(e => e.payload.code), ['LIQUIDATION_BOOK_EXHAUSTED'], 'the slice the book could not take');
  }));

test('the refusal of the fill the broker reported last is not an earlier refusal', () =>
  inScenario('in-process', async world => {
    await fundedAndMarked(world);
    await world.trader.placeAccepted({ symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: '1', limitPrice: '49000' }, WORKING_ORDER);
    world.executions.reportForgedFill('BTC-PERP', new Decimal('1.5'));
    assert.equal((await world.executions.refusedReport()).refusal.payload.errorKind, 'Overfill');
    await world.executions.tradeAgainst('BTC-PERP', new Decimal('0.4'));
    world.executions.redeliverLastFill();
    const { refusal, refusalsCounted } = await world.executions.refusedReport();
    assert.equal(refusal.payload.errorKind, 'DuplicateFill');
    assert.equal(refusalsCounted, 1);
  }));
