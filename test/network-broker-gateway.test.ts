import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../domain/shared/clock';
import { Decimal } from '../domain/shared/decimal';
import { SeededRandom } from '../domain/shared/random';
import { DEFAULT_INSTRUMENTS } from '../domain/model/instrument';
import { NetworkBrokerGateway } from '../domain/execution/network-broker-gateway';
import { BrokerSimulatorCore } from '../support/simulators/broker/broker-core';
import { BrokerServer } from '../support/simulators/broker/broker-server';

const KEY = 'trader-key';
const SECRET = 'trader-secret-Zq81';
const SEED = 20260105;

async function broker(t: { after: (fn: () => Promise<void>) => void }): Promise<{ server: BrokerServer; clock: VirtualClock; log: Record<string, unknown>[] }> {
  const clock = new VirtualClock();
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  core.deposit(new Decimal(100_000));
  const log: Record<string, unknown>[] = [];
  const server = new BrokerServer({ core, clock, credentials: [{ key: KEY, secret: SECRET, permissions: ['read', 'trade'] }], log: line => log.push(line) });
  await server.start();
  t.after(() => server.stop());
  return { server, clock, log };
}

/** A gateway as a freshly started process builds it: same name, same key, same seed. */
function gateway(server: BrokerServer, clock: VirtualClock, random: () => number): NetworkBrokerGateway {
  return new NetworkBrokerGateway({ name: 'SIM', baseUrl: `http://127.0.0.1:${server.port}`, apiKey: KEY, apiSecret: SECRET, clock, random, requestTimeoutMs: 2_000, retry: { attempts: 1, baseDelayMs: 1 } });
}

test('a restarted process with the same seed signs with nonces the broker has not seen: no NONCE_REUSED', async t => {
  const { server, clock, log } = await broker(t);
  for (let life = 1; life <= 3; life += 1) {
    const rng = new SeededRandom(SEED);
    const gw = gateway(server, clock, () => rng.next());
    try {
      for (let i = 0; i < 5; i += 1) await gw.balance();
    } finally {
      await gw.close();
    }
  }
  const refusals = log.filter(line => JSON.stringify(line).includes('NONCE_REUSED'));
  assert.deepEqual(refusals, [], 'the broker refused a nonce it had already seen');
});

test('nonces draw nothing from the seeded generator, so backoff jitter replays the same for a seed', async t => {
  const { server, clock } = await broker(t);
  let draws = 0;
  const gw = gateway(server, clock, () => {
    draws += 1;
    return 0.5;
  });
  try {
    for (let i = 0; i < 5; i += 1) await gw.balance();
  } finally {
    await gw.close();
  }
  assert.equal(draws, 0);
});
