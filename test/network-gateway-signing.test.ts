import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { VirtualClock, Decimal, TradingError } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { AUTH_HEADERS, NetworkBrokerGateway } from '../domain/execution';
import { BrokerSimulatorCore, BrokerServer } from '../support/simulators/broker';

/** A funded broker on a loopback port with a 60 s receive window, its clock virtual. */
async function fundedBroker(): Promise<{ clock: VirtualClock; server: BrokerServer }> {
  const clock = new VirtualClock();
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  core.deposit(new Decimal(100_000));
  core.setMark('BTC-PERP', new Decimal(50_000));
  const server = new BrokerServer({ core, clock, credentials: [{ key: 'trader-key-0001', secret: 'trader-secret', permissions: ['read', 'trade'] }], recvWindowMs: 60_000 });
  await server.start();
  return { clock, server };
}

test('every attempt of an order request carries the signing time on record, so a retry cannot arrive after the receive window of it', async t => {
  const { clock, server } = await fundedBroker();
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

test('an order request is not sent again once its wait would take it past the receive window of its signing: the refusal stands, and the caller decides', async t => {
  const { clock, server } = await fundedBroker();
  const gateway = new NetworkBrokerGateway({ name: 'SIM', baseUrl: server.url, apiKey: 'trader-key-0001', apiSecret: 'trader-secret', clock, random: () => 0.5, retry: { attempts: 3, baseDelayMs: 5 }, receiveWindowMs: 60_000 });
  t.after(async () => {
    await gateway.close();
    await server.stop();
  });
  const signedAt = clock.now();
  clock.advance(59_500);
  // Retry-After 1 s: the next attempt would go out 60.5 s after the signing, past the window.
  server.failNextRequests(1, { status: 429, code: 'RATE_LIMITED', retryAfterSeconds: 1 });
  await assert.rejects(
    gateway.submit({ clientOrderId: 'CO-2', symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: new Decimal('0.1'), limitPrice: new Decimal(49_000), reduceOnly: false, signedAt }),
    (error: unknown) => error instanceof TradingError && error.kind === 'RateLimited',
  );
  assert.deepEqual(server.httpLog.map(r => r.status), [429], 'sent once, not again with a timestamp the broker refuses');
});

/**
 * A loopback relay to the broker whose first connection, once it has carried an answer back, is
 * closed when the next request arrives on it: that request meets a kept-alive socket the other side
 * closed, and never reaches the broker. It records the signing time of every request it sees.
 */
async function relayClosingAKeptAliveSocket(upstreamPort: number): Promise<{ url: string; connections: () => number; timestamps: string[]; close: () => Promise<void> }> {
  const timestamps: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const relay = net.createServer(client => {
    const first = ++connections === 1;
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    for (const socket of [client, upstream]) socket.on('error', () => undefined);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    let answered = false;
    let seen = '';
    let recorded = 0;
    upstream.on('data', chunk => {
      answered = true;
      client.write(chunk);
    });
    client.on('data', chunk => {
      seen += chunk.toString('latin1');
      const found = [...seen.matchAll(/\r\nx-timestamp: *(\d+)\r\n/gi)].map(m => m[1]);
      timestamps.push(...found.slice(recorded));
      recorded = found.length;
      if (first && answered) {
        client.destroy();
        return;
      }
      upstream.write(chunk);
    });
  });
  await new Promise<void>(resolve => relay.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(relay.address() as net.AddressInfo).port}`,
    connections: () => connections,
    timestamps,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise(resolve => relay.close(() => resolve()));
    },
  };
}

test('an order request sent again after meeting a kept-alive socket the broker closed keeps the signing time on record', async t => {
  const { clock, server } = await fundedBroker();
  const relay = await relayClosingAKeptAliveSocket(server.port);
  // One attempt only: a second request on the wire can only be the gateway's re-send after a stale socket.
  const gateway = new NetworkBrokerGateway({ name: 'SIM', baseUrl: relay.url, apiKey: 'trader-key-0001', apiSecret: 'trader-secret', clock, random: () => 0.5, retry: { attempts: 1, baseDelayMs: 5 } });
  t.after(async () => {
    await gateway.close();
    await relay.close();
    await server.stop();
  });
  await gateway.balance();
  const signedAt = clock.now();
  clock.advance(30_000);
  const accepted = await gateway.submit({ clientOrderId: 'CO-1', symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: new Decimal('0.1'), limitPrice: new Decimal(49_000), reduceOnly: false, signedAt });
  assert.equal(accepted.clientOrderId, 'CO-1');
  assert.equal(relay.connections(), 2, 'the order request was sent again on a fresh connection');
  assert.deepEqual(relay.timestamps.slice(1), [String(signedAt.getTime()), String(signedAt.getTime())], 'both attempts are signed with the recorded time');
  assert.equal(server.capturedOrderRequest().headers[AUTH_HEADERS.timestamp], String(signedAt.getTime()));
});
