import { Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { BEFORE_THE_CRASH } from '../support/dsl';
import { TradingWorld } from '../support/world';

// ---- crash and restart on the same log ----

When('the trading system crashes', async function (this: TradingWorld) {
  await this.operator.crashAfterSettling(BEFORE_THE_CRASH);
});

When('a new trading system instance starts on the same event log', async function (this: TradingWorld) {
  const system = await this.operator.restart();
  expect(system.eventsReplayed, 'events replayed from the log').to.be.greaterThan(0);
});

Then('it has the same orders, positions, balances and settings as before the crash', function (this: TradingWorld) {
  const { remembered, now } = this.operator.stateBeside(BEFORE_THE_CRASH);
  expect(now).to.deep.equal(remembered);
});

// ---- recovery with the broker ----

When('it recovers with the broker', async function (this: TradingWorld) {
  await this.operator.recover();
});

When('{duration} later it recovers with the broker', async function (this: TradingWorld, ms: number) {
  await this.operator.recoverAfter(ms);
});

Then('{int} fill(s) is/are recovered from the broker', function (this: TradingWorld, fills: number) {
  expect(this.operator.lastRecovery().fillsRecovered).to.equal(fills);
});
