import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../support/sut';
import { UserChannel } from '../support/dsl';
import { TradingWorld } from '../support/world';

// ---- the channel is lost and comes back ----

When('the broker cuts the user channel', function (this: TradingWorld) {
  this.userChannel.cut();
});

When('the broker stops sending heartbeats until the channel is declared dead', async function (this: TradingWorld) {
  await this.userChannel.silenceHeartbeatsUntilDeclaredDead();
});

Then('the user channel was lost and connected again', async function (this: TradingWorld) {
  expect(await this.userChannel.lostAndReconnected(), 'what the system recorded of the channel, fault to reconnect').to.deep.equal(['lost', 'connected']);
});

Then('the user channel is connected', async function (this: TradingWorld) {
  const states = await this.userChannel.connectedAfterLastFault();
  expect(states[0], 'what the system recorded first after the fault').to.equal('lost');
  expect(states[states.length - 1], 'what the system recorded last').to.equal('connected');
});

When('the broker restarts', async function (this: TradingWorld) {
  await this.userChannel.brokerRestarts();
});

Then('the user channel joined a new broker session and the system resynchronised with the broker', async function (this: TradingWorld) {
  const { previous, joined, brokerSession } = await this.userChannel.newSession();
  expect(joined, 'the session the broker named').to.equal(brokerSession);
  expect(previous).to.not.equal(joined);
});

// ---- reports out of sequence ----

// How far back the resent update lies: the last one (a plain repeat), or one before it.
for (const [which, back] of [['an earlier', 1], ['the last', 0]] as const) {
  When(`the broker sends ${which} order update again, under its old sequence number`, function (this: TradingWorld) {
    this.userChannel.resendUpdate(back);
  });
}

Then('an out-of-order message was recorded on the user channel and no fill was refused', async function (this: TradingWorld) {
  const anomaly = await this.userChannel.anomaly('out_of_order');
  expect(anomaly.payload.received).to.be.lessThan(anomaly.payload.expected);
  expect(anomaly.payload.duplicate, 'recorded as a repeat of the update delivered under that number').to.equal(true);
  // The channel drops it before the engine sees it: a repeated fill never even reaches the duplicate check.
  expect(this.userChannel.fillsRefused()).to.deep.equal([]);
});

When('the market trades {figure} {symbol} against the order, but its report is skipped in the sequence', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  this.userChannel.tradeWithReportSkipped(symbol, quantity);
});

When('the market trades {figure} {symbol} against the order, but its report reuses the last sequence number', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  this.userChannel.tradeWithReportReusingSequence(symbol, quantity);
});

Then('a sequence gap was detected on the user channel', async function (this: TradingWorld) {
  const { anomaly } = await this.userChannel.anomalyAndResynchronisation('gap', 'sequence gap');
  expect(anomaly.payload.received).to.be.at.least(anomaly.payload.expected);
});

Then('an out-of-order update that is not a repeat was recorded on the user channel and the system resynchronised with the broker', async function (this: TradingWorld) {
  const { anomaly } = await this.userChannel.anomalyAndResynchronisation('out_of_order', 'out-of-order report');
  expect(anomaly.payload.duplicate, 'recorded as a repeat').to.equal(false);
});

When('the broker sends a heartbeat saying its last report was number {figure}', function (this: TradingWorld, seq: Decimal) {
  this.userChannel.sendHeartbeatNaming(seq.toNumber());
});

Then('an implausible sequence number was recorded on the user channel and the system resynchronised with the broker', async function (this: TradingWorld) {
  const { anomaly } = await this.userChannel.anomalyAndResynchronisation('implausible_jump', 'implausible sequence number');
  expect(anomaly.payload.received).to.equal(Number.MAX_SAFE_INTEGER);
  expect(this.userChannel.lastReportSequence(), "the channel's last report number").to.be.lessThan(Number.MAX_SAFE_INTEGER);
});

// ---- messages the system refuses ----

Given('the broker will garble its next report', function (this: TradingWorld) {
  this.userChannel.garbleNextReport();
});

for (const message of UserChannel.badMessages) {
  When(`the broker sends on the user channel ${message}`, async function (this: TradingWorld) {
    await this.userChannel.sendBadMessage(message);
  });
}

Then('the message is refused as {string}', async function (this: TradingWorld, kind: string) {
  const refused = await this.userChannel.refusal(kind);
  expect(refused.payload.reason).to.be.a('string').and.not.empty;
});

Then('the trader\'s {symbol} position and cash are as they were', async function (this: TradingWorld, symbol: string) {
  const { before, now, brokerCash } = await this.userChannel.booksAfterRefusal(symbol);
  expect(now).to.deep.equal(before);
  expect(now.cash, "the broker's cash").to.equal(brokerCash);
});
