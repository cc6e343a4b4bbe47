import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { SeededRandom } from '../domain/shared';
import { FaultProxy, FaultProxyStats } from '../support/simulators/network';

const WAIT_MS = 800;

/** Rejects if the event does not come in time; the timer is cleared either way so it never holds the process. */
function within<T>(what: string, promise: Promise<T>, timeoutMs = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

/** Polls a condition every loop turn, for states that raise no event (bytes held inside the proxy). */
function until(what: string, condition: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  return new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (performance.now() > deadline) reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      else setImmediate(check);
    };
    check();
  });
}

interface Received {
  payload: Buffer;
  reads: number;
  firstReadAt: number;
  lastReadAt: number;
}

/** Collects exactly `size` bytes, counting the reads they came in. */
function receive(socket: net.Socket, size: number, what: string, timeoutMs = WAIT_MS): Promise<Received> {
  const chunks: Buffer[] = [];
  let length = 0;
  let firstReadAt = 0;
  return within(
    what,
    new Promise<Received>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        if (chunks.length === 0) firstReadAt = performance.now();
        chunks.push(chunk);
        length += chunk.length;
        if (length >= size) {
          cleanup();
          resolve({ payload: Buffer.concat(chunks), reads: chunks.length, firstReadAt, lastReadAt: performance.now() });
        }
      };
      const onClose = (): void => {
        cleanup();
        reject(new Error(`${what}: connection closed after ${length} of ${size} bytes`));
      };
      const cleanup = (): void => {
        socket.removeListener('data', onData);
        socket.removeListener('close', onClose);
      };
      socket.on('data', onData);
      socket.once('close', onClose);
    }),
    timeoutMs,
  );
}

interface Closure {
  at: number;
  error: NodeJS.ErrnoException | undefined;
  bytesSeen: number;
}

/** Resolves when the socket is closed, with the error it died of and the bytes it read meanwhile. */
function closure(socket: net.Socket): Promise<Closure> {
  let error: NodeJS.ErrnoException | undefined;
  let bytesSeen = 0;
  socket.on('error', (err: NodeJS.ErrnoException) => {
    error = err;
  });
  socket.on('data', (chunk: Buffer) => {
    bytesSeen += chunk.length;
  });
  if (socket.destroyed) return Promise.resolve({ at: performance.now(), error, bytesSeen });
  return new Promise<Closure>(resolve => socket.once('close', () => resolve({ at: performance.now(), error, bytesSeen })));
}

/** Stand-in for the broker simulator: echoes what it gets, or stays silent and hands the test its end. */
class BrokerEndpoint {
  private readonly accepted: net.Socket[] = [];
  private readonly waiters: Array<(socket: net.Socket) => void> = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly server: net.Server) {}

  static async start(mode: 'echo' | 'silent'): Promise<BrokerEndpoint> {
    const server = net.createServer();
    const endpoint = new BrokerEndpoint(server);
    server.on('connection', socket => {
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      endpoint.sockets.add(socket);
      socket.once('close', () => endpoint.sockets.delete(socket));
      if (mode === 'echo') socket.on('data', chunk => socket.write(chunk));
      const waiter = endpoint.waiters.shift();
      if (waiter) waiter(socket);
      else endpoint.accepted.push(socket);
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  get port(): number {
    const address = this.server.address();
    assert.ok(address !== null && typeof address !== 'string');
    return address.port;
  }

  nextConnection(): Promise<net.Socket> {
    const ready = this.accepted.shift();
    if (ready) return Promise.resolve(ready);
    return within('the broker to accept a connection', new Promise<net.Socket>(resolve => this.waiters.push(resolve)));
  }

  async close(): Promise<void> {
    const closed = new Promise<void>(resolve => this.server.close(() => resolve()));
    const sockets = [...this.sockets].map(socket => {
      socket.destroy();
      return closure(socket);
    });
    await Promise.all([closed, ...sockets]);
    // server.close()'s callback runs before libuv releases the listening handle; it is gone a loop turn later.
    await new Promise<void>(resolve => setImmediate(() => setImmediate(resolve)));
  }
}

interface Rig {
  proxy: FaultProxy;
  broker: BrokerEndpoint;
  dial(): Promise<net.Socket>;
}

function dialPort(port: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A broker, a proxy in front of it and the gateway-side sockets, all gone when the test body ends. */
async function withRig(
  mode: 'echo' | 'silent',
  body: (rig: Rig) => Promise<void>,
  random: () => number = ((rng: SeededRandom) => () => rng.next())(new SeededRandom(20260105)),
): Promise<void> {
  const broker = await BrokerEndpoint.start(mode);
  const proxy = new FaultProxy({ name: 'broker-link', upstreamHost: '127.0.0.1', upstreamPort: broker.port, random });
  await proxy.start();
  const clients: net.Socket[] = [];
  const dial = async (): Promise<net.Socket> => {
    const socket = await within('the gateway to connect', dialPort(proxy.port));
    socket.on('error', () => undefined);
    clients.push(socket);
    return socket;
  };
  try {
    await body({ proxy, broker, dial });
  } finally {
    await proxy.stop();
    await Promise.all(
      clients.map(client => {
        client.destroy();
        return closure(client);
      }),
    );
    await broker.close();
  }
}

async function roundTrip(client: net.Socket, message: string): Promise<{ reply: string; elapsedMs: number }> {
  const startedAt = performance.now();
  const reply = receive(client, Buffer.byteLength(message), `the echo of ${message}`);
  client.write(message);
  const received = await reply;
  return { reply: received.payload.toString(), elapsedMs: received.lastReadAt - startedAt };
}

test('without toxics the proxy passes bytes both ways untouched and counts them', async () => {
  await withRig('echo', async ({ proxy, dial }) => {
    const client = await dial();
    const message = '{"op":"place","clientOrderId":"c-1","qty":"0.5"}';
    const { reply } = await roundTrip(client, message);
    assert.equal(reply, message);
    const expected: FaultProxyStats = {
      connectionsAccepted: 1,
      bytesUpstream: message.length,
      bytesDownstream: message.length,
      largestWriteUpstream: message.length,
      largestWriteDownstream: message.length,
      bytesInFlight: 0,
      bytesDropped: 0,
      open: 1,
    };
    assert.deepEqual(proxy.stats, expected);
  });
});

test('latency delays the order by at least the latency, on a connection opened before the toxic', async () => {
  await withRig('echo', async ({ proxy, dial }) => {
    const client = await dial();
    assert.ok((await roundTrip(client, 'warm-up')).elapsedMs < 60, 'baseline round trip is fast');
    proxy.addToxic({ stream: 'upstream', spec: { type: 'latency', latencyMs: 60 } });
    const { reply, elapsedMs } = await roundTrip(client, 'order');
    assert.equal(reply, 'order');
    assert.ok(elapsedMs >= 60, `round trip took ${elapsedMs.toFixed(1)} ms`);
  });
});

test('jittered latency never reorders bytes, over many chunks', async () => {
  await withRig('silent', async ({ proxy, broker, dial }) => {
    // Jitter of +/-25 ms against sends a loop turn apart would reorder almost every chunk if order were not kept.
    proxy.addToxic({ stream: 'upstream', spec: { type: 'latency', latencyMs: 30, jitterMs: 25 } });
    const client = await dial();
    const brokerSide = await broker.nextConnection();
    const messages = Array.from({ length: 60 }, (_, sequence) => `seq=${String(sequence).padStart(4, '0')};`);
    const expected = messages.join('');
    const arrival = receive(brokerSide, expected.length, 'all sequenced messages');
    const sentAt = performance.now();
    for (const message of messages) {
      client.write(message);
      await new Promise<void>(resolve => setImmediate(resolve));
    }
    const received = await arrival;
    assert.equal(received.payload.toString(), expected);
    assert.ok(received.firstReadAt - sentAt >= 5, 'no chunk is faster than latency minus jitter');
  });
});

test('bandwidth: 20 KB at 100 KB/s takes at least ~150 ms and arrives intact', async () => {
  await withRig('silent', async ({ proxy, broker, dial }) => {
    proxy.addToxic({ stream: 'downstream', spec: { type: 'bandwidth', kbPerSecond: 100 } });
    const client = await dial();
    const brokerSide = await broker.nextConnection();
    const snapshot = Buffer.alloc(20_000, 0).map((_, index) => index % 251);
    const arrival = receive(client, snapshot.length, 'the order book snapshot');
    const sentAt = performance.now();
    brokerSide.write(snapshot);
    const received = await arrival;
    assert.ok(received.payload.equals(snapshot));
    const elapsedMs = received.lastReadAt - sentAt;
    assert.ok(elapsedMs >= 150, `20 KB took ${elapsedMs.toFixed(1)} ms`);
  });
});

test('slicer splits one JSON message across several reads, bytes intact', async () => {
  await withRig('silent', async ({ proxy, broker, dial }) => {
    proxy.addToxic({ stream: 'downstream', spec: { type: 'slicer', averageSize: 64, sizeVariation: 16, delayMs: 2 } });
    const client = await dial();
    const brokerSide = await broker.nextConnection();
    const fills = Array.from({ length: 12 }, (_, index) => ({ fillId: `f-${index}`, price: '50000.5', qty: '0.01' }));
    const message = JSON.stringify({ channel: 'fills', sequence: 42, fills });
    assert.ok(message.length > 600);
    const arrival = receive(client, Buffer.byteLength(message), 'the sliced fills message');
    brokerSide.write(message);
    const received = await arrival;
    assert.ok(received.reads >= 5, `only ${received.reads} reads`);
    assert.equal(received.payload.toString(), message);
    assert.deepEqual(JSON.parse(received.payload.toString()), { channel: 'fills', sequence: 42, fills });
  });
});

test('timeout 0 is a black hole: nothing arrives, the connection stays open, the other direction still flows', async () => {
  await withRig('silent', async ({ proxy, broker, dial }) => {
    const client = await dial();
    const brokerSide = await broker.nextConnection();
    proxy.addToxic({ stream: 'upstream', spec: { type: 'timeout', timeoutMs: 0 } });
    let reachedBroker = 0;
    brokerSide.on('data', (chunk: Buffer) => {
      reachedBroker += chunk.length;
    });
    const order = '{"op":"place","clientOrderId":"c-2"}';
    client.write(order);
    // Every byte of the order is accounted as dropped, so none of it can still be on its way to the broker.
    await until('the proxy to swallow the whole order', () => proxy.stats.bytesDropped === order.length);
    assert.equal(proxy.stats.bytesUpstream, 0);
    const heartbeat = receive(client, 'heartbeat'.length, 'the broker heartbeat');
    brokerSide.write('heartbeat');
    assert.equal((await heartbeat).payload.toString(), 'heartbeat');
    // "Stays open" can only be shown by watching for a while: 100 ms with no close on either side.
    const closedEarly = within('a close that must not come', Promise.race([closure(client), closure(brokerSide)]), 100);
    await assert.rejects(closedEarly, /timed out/);
    assert.equal(reachedBroker, 0);
    assert.equal(proxy.stats.open, 1);
  });
});

test('timeout N drops the data and closes the connection after N ms', async () => {
  await withRig('silent', async ({ proxy, broker, dial }) => {
    const client = await dial();
    const brokerSide = await broker.nextConnection();
    const clientClosed = closure(client);
    const brokerClosed = closure(brokerSide);
    const addedAt = performance.now();
    proxy.addToxic({ stream: 'upstream', spec: { type: 'timeout', timeoutMs: 80 } });
    client.write('{"op":"cancel","clientOrderId":"c-3"}');
    const [gateway, broker_] = await within('both sides to be closed', Promise.all([clientClosed, brokerClosed]));
    assert.ok(gateway.at - addedAt >= 80, `closed after ${(gateway.at - addedAt).toFixed(1)} ms`);
    assert.equal(broker_.bytesSeen, 0);
  });
});

test('reset_peer resets both sides timeoutMs after the first bytes reach it', async () => {
  await withRig('echo', async ({ proxy, broker, dial }) => {
    const client = await dial();
    const brokerSide = await broker.nextConnection();
    proxy.addToxic({ stream: 'downstream', spec: { type: 'reset_peer', timeoutMs: 50 } });
    const clientClosed = closure(client);
    const brokerClosed = closure(brokerSide);
    const sentAt = performance.now();
    client.write('{"op":"place","clientOrderId":"c-4"}');
    const [gateway, brokerEnd] = await within('the reset', Promise.all([clientClosed, brokerClosed]));
    assert.ok(gateway.at - sentAt >= 50, `reset after ${(gateway.at - sentAt).toFixed(1)} ms`);
    assert.equal(gateway.bytesSeen, 0, 'the answer never reached the gateway: order status unknown');
    assert.equal(gateway.error?.code, 'ECONNRESET');
    assert.ok(brokerEnd.error === undefined || brokerEnd.error.code === 'ECONNRESET');
  });
});

test('limit_data passes exactly N bytes, then closes the connection', async () => {
  await withRig('silent', async ({ proxy, broker, dial }) => {
    proxy.addToxic({ stream: 'upstream', spec: { type: 'limit_data', bytes: 10 } });
    const client = await dial();
    const brokerSide = await broker.nextConnection();
    const chunks: Buffer[] = [];
    brokerSide.on('data', (chunk: Buffer) => chunks.push(chunk));
    const brokerClosed = closure(brokerSide);
    const clientClosed = closure(client);
    client.write('0123456789abcdefghijklmno');
    await within('both sides to be closed', Promise.all([brokerClosed, clientClosed]));
    assert.equal(Buffer.concat(chunks).toString(), '0123456789');
    assert.equal(proxy.stats.bytesDropped, 15);
  });
});

test('down refuses connections and closes open ones; up serves again on the same port', async () => {
  await withRig('echo', async ({ proxy, dial }) => {
    const port = proxy.port;
    const client = await dial();
    assert.equal((await roundTrip(client, 'before')).reply, 'before');
    const clientClosed = closure(client);
    await proxy.down();
    await within('the open connection to close', clientClosed);
    await assert.rejects(dialPort(port), (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED');
    await proxy.up();
    assert.equal(proxy.port, port);
    const again = await dial();
    assert.equal((await roundTrip(again, 'after')).reply, 'after');
    assert.equal(proxy.stats.open, 1);
    await proxy.stop();
    assert.equal(await proxy.start(), port);
  });
});

test('resetConnections resets every open connection on both sides and keeps accepting', async () => {
  await withRig('echo', async ({ proxy, broker, dial }) => {
    const gateways = [await dial(), await dial()];
    const brokerSides = [await broker.nextConnection(), await broker.nextConnection()];
    const closures = [...gateways, ...brokerSides].map(closure);
    proxy.resetConnections();
    const ends = await within('every side to be reset', Promise.all(closures));
    for (const end of ends.slice(0, 2)) assert.equal(end.error?.code, 'ECONNRESET');
    for (const end of ends.slice(2)) assert.equal(end.error?.code, 'ECONNRESET');
    assert.equal((await roundTrip(await dial(), 'reconnected')).reply, 'reconnected');
  });
});

test('an unreachable broker drops the gateway connection', async () => {
  const vacant = await BrokerEndpoint.start('silent');
  const vacantPort = vacant.port;
  await vacant.close();
  const proxy = new FaultProxy({ name: 'dead-broker', upstreamHost: '127.0.0.1', upstreamPort: vacantPort, random: () => 0.5 });
  try {
    const client = await dialPort(await proxy.start());
    client.on('error', () => undefined);
    await within('the gateway connection to be dropped', closure(client));
    await until('the proxy to forget the connection', () => proxy.stats.open === 0);
  } finally {
    await proxy.stop();
  }
});

test('toxicity is drawn once per connection: 0 never applies, 0.5 splits connections, not packets', async () => {
  const draws = [0.9, 0.1];
  await withRig(
    'echo',
    async ({ proxy, broker, dial }) => {
      proxy.addToxic({ name: 'never', stream: 'upstream', toxicity: 0, spec: { type: 'latency', latencyMs: 400 } });
      proxy.addToxic({ name: 'half', stream: 'upstream', toxicity: 0.5, spec: { type: 'latency', latencyMs: 120 } });
      const spared = await dial();
      await broker.nextConnection();
      const delayed = await dial();
      await broker.nextConnection();
      for (let round = 0; round < 2; round += 1) {
        assert.ok((await roundTrip(spared, `spared-${round}`)).elapsedMs < 100);
        assert.ok((await roundTrip(delayed, `delayed-${round}`)).elapsedMs >= 120);
      }
    },
    () => draws.shift() ?? 0.5,
  );
});

test('removing latency hands held bytes on at once and in order', async () => {
  await withRig('silent', async ({ proxy, broker, dial }) => {
    const client = await dial();
    const brokerSide = await broker.nextConnection();
    proxy.addToxic({ name: 'slow-link', stream: 'upstream', spec: { type: 'latency', latencyMs: 600 } });
    const arrival = receive(brokerSide, 2, 'both orders');
    const sentAt = performance.now();
    client.write('A');
    await until('the proxy to hold the first order', () => proxy.stats.bytesInFlight === 1);
    proxy.removeToxic('slow-link');
    client.write('B');
    const received = await arrival;
    assert.equal(received.payload.toString(), 'AB');
    assert.ok(received.lastReadAt - sentAt < 300, 'held bytes were not kept for the full latency');
    assert.deepEqual(proxy.toxics, []);
  });
});

test('removing a black hole closes connections it punched a hole in and spares the others', async () => {
  await withRig('echo', async ({ proxy, broker, dial }) => {
    const holed = await dial();
    const holedBroker = await broker.nextConnection();
    const idle = await dial();
    await broker.nextConnection();
    proxy.addToxic({ name: 'blackhole', stream: 'upstream', spec: { type: 'timeout', timeoutMs: 0 } });
    holed.write('lost order');
    await until('the proxy to swallow the order', () => proxy.stats.bytesDropped === 'lost order'.length);
    const holedClosed = closure(holed);
    const holedBrokerClosed = closure(holedBroker);
    proxy.removeToxic('blackhole');
    const [gateway] = await within('the holed connection to close', Promise.all([holedClosed, holedBrokerClosed]));
    assert.equal(gateway.bytesSeen, 0);
    assert.equal((await roundTrip(idle, 'still here')).reply, 'still here');
    assert.equal((await roundTrip(await dial(), 'fresh')).reply, 'fresh');
  });
});

test('clearToxics restores the plain link', async () => {
  await withRig('echo', async ({ proxy, dial }) => {
    proxy.addToxic({ stream: 'upstream', spec: { type: 'latency', latencyMs: 500 } });
    proxy.addToxic({ stream: 'downstream', spec: { type: 'bandwidth', kbPerSecond: 1 } });
    proxy.clearToxics();
    const client = await dial();
    assert.ok((await roundTrip(client, 'x'.repeat(2_000))).elapsedMs < 100);
  });
});

test('a reader that stops reading pushes back on the sender instead of filling the proxy', async () => {
  await withRig('silent', async ({ proxy, broker, dial }) => {
    proxy.addToxic({ name: 'thin-pipe', stream: 'downstream', spec: { type: 'bandwidth', kbPerSecond: 1_000 } });
    const client = await dial();
    const brokerSide = await broker.nextConnection();
    // The kernel's socket buffers take megabytes at once (as many as the sysctls allow), so the
    // sender writes until its own buffer holds what they would not: the one sign that cannot be absorbed.
    const chunk = Buffer.alloc(64 * 1024, 0).map((_, index) => index % 253);
    const limit = 256 * 1024 * 1024;
    let sent = 0;
    let pushedBack = false;
    while (!pushedBack && sent < limit) {
      pushedBack = !brokerSide.write(chunk);
      sent += chunk.length;
    }
    assert.ok(pushedBack, `the sender never felt backpressure: ${sent} bytes written and every write was taken at once`);
    // 2 MiB more than the sender's buffer already held: the 1,000 KB/s pipe cannot drain that within the window.
    for (let extra = 0; extra < 32; extra += 1) {
      brokerSide.write(chunk);
      sent += chunk.length;
    }
    const arrival = receive(client, sent, 'the whole burst', 10_000);
    // Awaited below; until then a rejection (the rig closing the link after a failed assertion) must not hide the assertion.
    arrival.catch(() => undefined);
    let peakInFlight = 0;
    const observeUntil = performance.now() + 150;
    await until('the observation window to pass', () => {
      peakInFlight = Math.max(peakInFlight, proxy.stats.bytesInFlight);
      return performance.now() > observeUntil;
    });
    assert.ok(peakInFlight <= 256 * 1024, `proxy held ${peakInFlight} bytes`);
    assert.ok(brokerSide.writableLength > 0, `the broker's own buffer emptied during the window (${sent} bytes written, ${proxy.stats.bytesDownstream} delivered)`);
    proxy.removeToxic('thin-pipe');
    const { payload } = await arrival;
    assert.equal(payload.length, sent);
    for (let offset = 0; offset < sent; offset += chunk.length) {
      if (!payload.subarray(offset, offset + chunk.length).equals(chunk)) assert.fail(`bytes ${offset}..${offset + chunk.length} arrived changed`);
    }
  });
});

test('slow_close delays the FIN, not the data', async () => {
  await withRig('silent', async ({ proxy, broker, dial }) => {
    proxy.addToxic({ stream: 'downstream', spec: { type: 'slow_close', delayMs: 80 } });
    const client = await dial();
    const brokerSide = await broker.nextConnection();
    const data = receive(client, 'bye'.length, 'the last message');
    const ended = within('the delayed FIN', new Promise<number>(resolve => client.once('end', () => resolve(performance.now()))));
    const sentAt = performance.now();
    brokerSide.end('bye');
    assert.ok((await data).lastReadAt - sentAt < 60, 'the data was not held');
    assert.ok((await ended) - sentAt >= 80, 'the FIN was held');
  });
});

test('stop leaves no listener, socket or timer behind, even with toxics holding data', async () => {
  const watched = ['TCPServerWrap', 'TCPSocketWrap', 'Timeout'];
  const census = (): Record<string, number> => {
    const counts: Record<string, number> = Object.fromEntries(watched.map(kind => [kind, 0]));
    for (const kind of process.getActiveResourcesInfo()) if (kind in counts) counts[kind] += 1;
    return counts;
  };
  const baseline = census();
  const broker = await BrokerEndpoint.start('echo');
  const proxy = new FaultProxy({ name: 'leak-check', upstreamHost: '127.0.0.1', upstreamPort: broker.port, random: () => 0.3 });
  await proxy.start();
  proxy.addToxic({ stream: 'upstream', spec: { type: 'latency', latencyMs: 5_000, jitterMs: 100 } });
  proxy.addToxic({ stream: 'downstream', spec: { type: 'timeout', timeoutMs: 5_000 } });
  proxy.addToxic({ stream: 'downstream', spec: { type: 'slow_close', delayMs: 5_000 } });
  const clients = await Promise.all([dialPort(proxy.port), dialPort(proxy.port)]);
  const closed = clients.map(client => {
    client.on('error', () => undefined);
    client.write('held by latency');
    return closure(client);
  });
  await until('the proxy to hold both orders', () => proxy.stats.bytesInFlight === 2 * 'held by latency'.length);
  const during = census();
  assert.ok(during.Timeout > baseline.Timeout, 'toxic timers were pending before stop');

  await proxy.stop();
  assert.equal(proxy.listening, false);
  assert.equal(proxy.stats.open, 0);
  await within('the gateway sockets to close', Promise.all(closed));
  await broker.close();
  assert.deepEqual(census(), baseline);
});

test('a toxic that spares new connections keeps holding what an old one sent, even after its sender is gone, until it is removed', async () => {
  await withRig('echo', async ({ proxy, broker, dial }) => {
    const dying = await dial();
    const dyingAtBroker = await broker.nextConnection();
    proxy.addToxic({ name: 'held', stream: 'upstream', spec: { type: 'latency', latencyMs: 60_000 } });
    dying.write('order');
    await within('the proxy to hold the order', proxy.whenHolding('upstream', WAIT_MS));
    proxy.spareNewConnections('held');
    assert.deepEqual(proxy.toxics, [], 'new connections get no toxic');
    const fresh = await dial();
    assert.equal((await roundTrip(fresh, 'fresh')).reply, 'fresh');
    const arrival = receive(dyingAtBroker, 'order'.length, 'the held order');
    dying.destroy();
    proxy.removeToxic('held');
    assert.equal((await arrival).payload.toString(), 'order');
  });
});
