import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../domain/shared/clock';
import { Decimal } from '../domain/shared/decimal';
import { DEFAULT_INSTRUMENTS } from '../domain/model/instrument';
import { AUTH_HEADERS } from '../domain/execution/wire-protocol';
import { NetworkBrokerGateway } from '../domain/execution/network-broker-gateway';
import { BrokerSimulatorCore } from '../support/simulators/broker/broker-core';
import { BrokerServer } from '../support/simulators/broker/broker-server';

test('every attempt of an order request carries the signing time on record, so a retry cannot arrive after the receive window of it', async t => {
  const clock = new VirtualClock();
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  core.deposit(new Decimal(100_000));
  core.setMark('BTC-PERP', new Decimal(50_000));
  const server = new BrokerServer({ core, clock, credentials: [{ key: 'trader-key-0001', secret: 'trader-secret', permissions: ['read', 'trade'] }], recvWindowMs: 60_000 });
  await server.start();
  const gateway = new NetworkBrokerGateway({ name: 'SIM', baseUrl: server.url, apiKey: 'trader-key-0001', apiSecret: 'trader-secret', clock, random: () => 0.5, retry: { attempts: 3, baseDelayMs: 5 } });
  t.after(async () => {
    await gateway.close();
    await server.stop();
  });
  const signedAt = clock.now();
  server.failNextRequests(1, { status: 429, code: 'RATE_LIMITED', retryAfterSeconds: 0 });
  // Time moves on while the first attempt is refused: the retry goes out later than the signing.
  const stop = server.onAnswered(entry => {
    if (entry.status === 429) clock.advance(30_000);
  });
  const accepted = await gateway.submit({ clientOrderId: 'CO-1', symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: new Decimal('0.1'), limitPrice: new Decimal(49_000), reduceOnly: false, signedAt });
  stop();
  assert.equal(accepted.clientOrderId, 'CO-1');
  assert.deepEqual(server.httpLog.map(r => r.status), [429, 200]);
  assert.equal(server.capturedOrderRequest().headers[AUTH_HEADERS.timestamp], String(signedAt.getTime()), 'the retry is signed with the recorded time');
});
