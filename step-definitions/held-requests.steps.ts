import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { IN_FLIGHT_ORDER, brokerAnswer } from '../support/dsl';
import { TradingWorld } from '../support/world';

// Requests a dying process sent stay on the network, and reach the broker after it was restarted.

Given('the network holds every request to the broker', function (this: TradingWorld) {
  this.network.holdRequests();
});

When('the trading system crashes with the order\'s request still on the network', async function (this: TradingWorld) {
  await this.network.crashWithRequestHeld();
});

When('the held request reaches the broker', async function (this: TradingWorld) {
  await this.network.releaseHeldRequests();
});

When('the held request reaches the broker, but the broker\'s acknowledgement of it is lost on the user channel', async function (this: TradingWorld) {
  await this.network.releaseHeldRequestsLosingAcknowledgement();
});

// ---- the broker's receive window ----

When('{duration} pass(es), more than the broker\'s receive window of {duration} and its clock\'s tolerance of {duration}', function (this: TradingWorld, elapsed: number, window: number, tolerance: number) {
  const counted = this.credentials.timePasses(elapsed);
  expect(counted, 'the receive window and clock tolerance the system counts with').to.deep.equal({ windowMs: window, toleranceMs: tolerance });
  expect(elapsed).to.be.greaterThan(window + tolerance);
});

When('{duration} pass(es), past the broker\'s receive window of {duration} but within its clock\'s tolerance of {duration}', function (this: TradingWorld, elapsed: number, window: number, tolerance: number) {
  const counted = this.credentials.timePasses(elapsed);
  expect(counted, 'the receive window and clock tolerance the system counts with').to.deep.equal({ windowMs: window, toleranceMs: tolerance });
  expect(elapsed > window && elapsed <= window + tolerance, 'past the window, within the tolerance').to.equal(true);
});

Then('the broker refused the late request with {string} and holds no order for it', function (this: TradingWorld, answer: string) {
  const { status, code } = brokerAnswer(answer);
  const desk = this.venue.orderDesk(IN_FLIGHT_ORDER);
  expect(desk.answered, 'the order requests the broker answered').to.deep.equal([`${status} ${code}`]);
  expect(desk.booked, 'orders the broker holds for it').to.equal(0);
});
