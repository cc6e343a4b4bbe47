import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { brokerAnswer } from '../support/dsl';
import { TradingWorld } from '../support/world';

// ---- what the trading system signs its requests with ----

Given('the trading system signs its requests with a wrong secret', async function (this: TradingWorld) {
  await this.credentials.signWithWrongSecret();
});

Given('the trading system signs its requests with a key the broker does not know', async function (this: TradingWorld) {
  await this.credentials.signWithUnknownKey();
});

Given('the trading system signs its requests with a read-only key', async function (this: TradingWorld) {
  await this.credentials.signWithReadOnlyKey();
});

Given('the trading system signs its requests with a clock {int} seconds ahead', async function (this: TradingWorld, seconds: number) {
  await this.credentials.signWithClockAhead(seconds * 1000);
});

// ---- the secret ----

Then('the API secret appears nowhere in the logs or the event log', function (this: TradingWorld) {
  expect(this.credentials.secretsOnRecord(), 'secrets found in the logs, the event log or the broker\'s request log').to.deep.equal([]);
});

Then('the API secret cannot be worked out from the seed printed for the run', function (this: TradingWorld) {
  const { secret, seed } = this.credentials.brokerSecret();
  expect(secret, 'the secret names the seed').to.not.include(String(seed));
  // 32 bytes from the system's random source: nothing printed in the report leads to it.
  expect(secret).to.match(/^[0-9a-f]{64}$/);
});

// ---- a signed request replayed ----

When('someone replays the trader\'s signed order request', async function (this: TradingWorld) {
  await this.network.replayOrderRequest();
});

Then('the replay is refused with {string}', function (this: TradingWorld, answer: string) {
  const { status, code } = brokerAnswer(answer);
  const replay = this.context.memory.recall('httpAnswer', 'the replay');
  expect(replay.status).to.equal(status);
  expect((JSON.parse(replay.body) as { code?: string }).code).to.equal(code);
});
