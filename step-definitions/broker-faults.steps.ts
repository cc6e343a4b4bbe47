import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { brokerAnswer } from '../support/dsl';
import { TradingWorld } from '../support/world';

// ---- answers scripted at the broker's REST API ----

Given('the broker will answer the next {int} requests with {string}', function (this: TradingWorld, count: number, answer: string) {
  this.venue.failNextOrderRequests(count, answer);
});

Given('the broker will answer the next {int} position queries with {string}', function (this: TradingWorld, count: number, answer: string) {
  this.venue.failNextPositionQueries(count, answer);
});

Given('the broker will answer the next {int} balance queries with {string}', function (this: TradingWorld, count: number, answer: string) {
  this.venue.answerNextBalanceQueries(count, answer);
});

Given('the broker will carry out the next order but answer it with HTTP {int}', function (this: TradingWorld, status: number) {
  this.venue.bookNextOrderButAnswer(status);
});

Given('the broker will answer the next {int} cancel-all requests with {string}', function (this: TradingWorld, count: number, answer: string) {
  this.venue.failNextCancelAllRequests(count, answer);
});

Given('the broker will answer the next {int} cancel requests with {string}', function (this: TradingWorld, count: number, answer: string) {
  this.venue.failNextCancelRequests(count, answer);
});

Given('the broker will carry out the next cancel-all request but answer it with {string}', function (this: TradingWorld, body: string) {
  this.venue.answerNextCancelAllWith(body);
});

Given('the broker will answer the next order with {string}', function (this: TradingWorld, body: string) {
  this.venue.answerNextOrderWith(body);
});

// ---- the request quota ----

Given('the broker allows {int} requests at once per key, refilled at {int} a second', function (this: TradingWorld, capacity: number, perSecond: number) {
  this.venue.limitRequests(capacity, perSecond);
});

Given('the trader\'s request quota is used up', async function (this: TradingWorld) {
  await this.venue.useUpQuota();
});

Then('the broker answered {string} with {int} requests left in the quota', function (this: TradingWorld, answer: string, remaining: number) {
  const { status, code } = brokerAnswer(answer);
  const answers = this.venue.answers(status, code);
  expect(answers, `${answer} answers`).to.not.have.length(0);
  expect(answers.map(r => r.remaining)).to.deep.equal(answers.map(() => remaining));
});

// ---- maintenance ----

Given('the broker is in maintenance for the next {int} second(s)', function (this: TradingWorld, seconds: number) {
  this.venue.startMaintenance(seconds);
});

When('the broker\'s maintenance ends', function (this: TradingWorld) {
  this.venue.endMaintenance();
});

Then('the broker\'s status endpoint says {string}', async function (this: TradingWorld, status: string) {
  expect(await this.venue.status()).to.equal(status);
});

// ---- what reached the broker's books ----

Then('the broker has exactly {int} order(s) for the client order id of the last order', function (this: TradingWorld, count: number) {
  expect(this.venue.lastOrderAtBroker().booked).to.equal(count);
});

Then('the broker received the order request once', function (this: TradingWorld) {
  expect(this.venue.lastOrderAtBroker()).to.deep.equal({ placed: 1, booked: 1 });
});

Then('the broker answered {int} order requests and none reached its order book', function (this: TradingWorld, count: number) {
  const desk = this.venue.orderDesk();
  expect(desk.answered, 'order requests answered').to.have.length(count);
  expect(desk.placed, 'requests that reached the books').to.equal(0);
  expect(desk.booked, 'orders the broker holds').to.equal(0);
});
