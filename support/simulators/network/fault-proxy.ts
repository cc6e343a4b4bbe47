import net from 'node:net';
import { ConditionWaiters } from '../../condition-waiters';
import { requireNumber } from './number-checks';
import { ConnectionHost, ProxiedConnection } from './proxied-connection';
import { handlesReleased } from './sockets';
import { Toxic, ToxicRequest, ToxicStream } from './toxic';
import { ToxicChain } from './toxic-chain';

export interface FaultProxyOptions {
  name: string;
  upstreamHost: string;
  upstreamPort: number;
  /** Seeded generator in [0, 1): jitter, slice sizes and toxicity draws, so SEED=n replays them. */
  random: () => number;
}

export interface FaultProxyStats {
  connectionsAccepted: number;
  /** Bytes delivered to the broker (after toxics). */
  bytesUpstream: number;
  /** Bytes delivered to the gateway (after toxics). */
  bytesDownstream: number;
  /** The largest single write delivered each way: what a slicer let through at most. */
  largestWriteUpstream: number;
  largestWriteDownstream: number;
  /** Bytes read from either side and still held by toxics or unsent socket buffers of the proxy. */
  bytesInFlight: number;
  /** Bytes thrown away by timeout, reset_peer and limit_data. */
  bytesDropped: number;
  open: number;
}

const LISTEN_HOST = '127.0.0.1';

/**
 * A real TCP fault proxy between the broker gateway and a broker simulator, modelled on Shopify's
 * toxiproxy: each connection is two one-way links (upstream = gateway to broker, downstream = broker
 * to gateway), and each link runs its bytes through a chain of toxics in the order they were added.
 * TCP loses no bytes, so only the timeout and reset_peer toxics (and limit_data past its limit) ever
 * drop any; everything else delays, slices, throttles or closes.
 */
export class FaultProxy {
  private readonly chain: ToxicChain;
  private readonly holdWaiters = new ConditionWaiters();
  private readonly withheldListeners = new Set<(stream: ToxicStream) => void>();
  private readonly connections = new Set<ProxiedConnection>();
  private readonly counters = { connectionsAccepted: 0, bytesUpstream: 0, bytesDownstream: 0, bytesDropped: 0, largestWriteUpstream: 0, largestWriteDownstream: 0 };
  private readonly host: ConnectionHost;
  private listener: net.Server | undefined;
  private listenPort = 0;
  private lifecycle: Promise<void> = Promise.resolve();

  constructor(private readonly options: FaultProxyOptions) {
    requireNumber(`fault proxy ${options.name}: upstreamPort`, options.upstreamPort, 1, 65535, true);
    this.chain = new ToxicChain(options.name);
    this.host = {
      random: options.random,
      recordDelivered: (stream, bytes) => {
        if (stream === 'upstream') {
          this.counters.bytesUpstream += bytes;
          this.counters.largestWriteUpstream = Math.max(this.counters.largestWriteUpstream, bytes);
        } else {
          this.counters.bytesDownstream += bytes;
          this.counters.largestWriteDownstream = Math.max(this.counters.largestWriteDownstream, bytes);
        }
      },
      recordDropped: bytes => {
        this.counters.bytesDropped += bytes;
      },
      recordIngested: (stream, withheld) => {
        this.holdWaiters.changed();
        if (withheld) for (const listener of this.withheldListeners) listener(stream);
      },
      release: connection => {
        this.connections.delete(connection);
      },
    };
  }

  get name(): string {
    return this.options.name;
  }

  get port(): number {
    if (this.listenPort === 0) throw new Error(`fault proxy ${this.options.name} has not been started`);
    return this.listenPort;
  }

  get listening(): boolean {
    return this.listener !== undefined;
  }

  get stats(): FaultProxyStats {
    let bytesInFlight = 0;
    for (const connection of this.connections) bytesInFlight += connection.bytesInFlight;
    return { ...this.counters, bytesInFlight, open: this.connections.size };
  }

  /** Start the byte counters and largest-write figures afresh (a scenario measuring one stretch of traffic). */
  resetStats(): void {
    for (const key of Object.keys(this.counters) as (keyof typeof this.counters)[]) if (key !== 'connectionsAccepted') this.counters[key] = 0;
  }

  get toxics(): readonly Toxic[] {
    return this.chain.snapshot();
  }

  /** Listen on 127.0.0.1; the first start picks an ephemeral port, every later start or up() reuses it. */
  async start(): Promise<number> {
    await this.serialize(() => this.listen());
    return this.listenPort;
  }

  /** The broker link comes back: listen again on the same port. */
  up(): Promise<void> {
    return this.serialize(() => this.listen());
  }

  /** The broker link goes away: stop listening and close every open connection; new ones are refused. */
  down(): Promise<void> {
    return this.serialize(() => this.shutDown());
  }

  /** Resolves once no listener, socket or timer of this proxy is left. */
  stop(): Promise<void> {
    return this.serialize(() => this.shutDown());
  }

  /** Reset (RST) every current connection on both sides; new connections are still accepted. */
  resetConnections(): void {
    for (const connection of this.connections) connection.reset();
  }

  addToxic(request: ToxicRequest): string {
    const toxic = this.chain.add(request);
    for (const connection of this.connections) connection.attachToxic(toxic);
    return toxic.name;
  }

  removeToxic(name: string): void {
    this.chain.remove(name);
    for (const connection of [...this.connections]) connection.detachToxic(name);
  }

  /**
   * Connections opened from now on do not get this toxic; the ones that have it keep it (and what it
   * holds) until it is removed: the requests of a process that died stay on the network, the new
   * process's do not.
   */
  spareNewConnections(name: string): void {
    this.chain.spareNewConnections(name);
  }

  clearToxics(): void {
    for (const name of this.chain.names) this.removeToxic(name);
  }

  /** Resolves once toxics hold bytes sent on this stream (a request on its way, not yet delivered). */
  /** Told each time a chunk taken in is not passed on at once: a toxic held, slowed or dropped it. */
  onWithheld(listener: (stream: ToxicStream) => void): () => void {
    this.withheldListeners.add(listener);
    return () => this.withheldListeners.delete(listener);
  }

  whenHolding(stream: ToxicStream, timeoutMs: number): Promise<void> {
    const holding = () => [...this.connections].some(connection => (stream === 'upstream' ? connection.upstream : connection.downstream).bytesInFlight > 0);
    return this.holdWaiters.until(holding, timeoutMs, () => new Error(`fault proxy ${this.options.name}: nothing held ${stream} within ${timeoutMs} ms`));
  }

  /** Resolves once the link holds more than a number of bytes in all (a request just sent has been taken in and held too). */
  whenHoldingMoreThan(bytes: number, timeoutMs: number): Promise<void> {
    return this.holdWaiters.until(() => this.stats.bytesInFlight > bytes, timeoutMs, () => new Error(`fault proxy ${this.options.name}: held no more than ${bytes} bytes within ${timeoutMs} ms`));
  }

  /** Start, up, down and stop run one after another, so a scenario cannot open two listeners. */
  private serialize(operation: () => Promise<void>): Promise<void> {
    const next = this.lifecycle.then(operation);
    this.lifecycle = next.catch(() => undefined);
    return next;
  }

  private async listen(): Promise<void> {
    if (this.listener) return;
    // pauseOnConnect: the gateway's bytes wait in its TCP window until the broker side is connected.
    const listener = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, client => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ host: LISTEN_HOST, port: this.listenPort }, () => {
        listener.removeListener('error', reject);
        resolve();
      });
    });
    // Accept failures (EMFILE) must not crash the run; the gateway sees its connect fail instead.
    listener.on('error', () => undefined);
    const address = listener.address();
    if (address === null || typeof address === 'string') throw new Error('fault proxy listener has no TCP address');
    this.listenPort = address.port;
    this.listener = listener;
  }

  private accept(client: net.Socket): void {
    this.counters.connectionsAccepted += 1;
    // allowHalfOpen: a FIN travels through the toxics like data instead of closing the socket under them.
    const server = net.connect({ host: this.options.upstreamHost, port: this.options.upstreamPort, allowHalfOpen: true });
    this.connections.add(new ProxiedConnection(this.host, client, server, this.chain.forNewConnections));
  }

  private async shutDown(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    const listenerClosed = listener
      ? new Promise<void>(resolve => listener.close(() => resolve()))
      : Promise.resolve();
    const connectionsClosed = [...this.connections].map(connection => {
      connection.destroy();
      return connection.closed;
    });
    await Promise.all([listenerClosed, ...connectionsClosed]);
    if (listener) await handlesReleased();
  }
}
