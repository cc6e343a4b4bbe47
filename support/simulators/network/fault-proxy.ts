import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ConditionWaiters } from '../../condition-waiters';

/**
 * A real TCP fault proxy between the broker gateway and a broker simulator, modelled on Shopify's
 * toxiproxy: each connection is two one-way links (upstream = gateway to broker, downstream = broker
 * to gateway), and each link runs its bytes through a chain of toxics in the order they were added.
 * TCP loses no bytes, so only the timeout and reset_peer toxics (and limit_data past its limit) ever
 * drop any; everything else delays, slices, throttles or closes.
 */

export type ToxicStream = 'upstream' | 'downstream';

export type ToxicSpec =
  | { type: 'latency'; latencyMs: number; jitterMs?: number }
  | { type: 'bandwidth'; kbPerSecond: number }
  | { type: 'slicer'; averageSize: number; sizeVariation?: number; delayMs?: number }
  | { type: 'timeout'; timeoutMs: number }
  | { type: 'reset_peer'; timeoutMs: number }
  | { type: 'limit_data'; bytes: number }
  | { type: 'slow_close'; delayMs: number };

export type ToxicType = ToxicSpec['type'];

export interface Toxic {
  name: string;
  stream: ToxicStream;
  /** 0..1; whether the toxic acts on a connection is drawn once per connection, as toxiproxy does. */
  toxicity: number;
  spec: ToxicSpec;
}

export type ToxicRequest = Omit<Toxic, 'toxicity' | 'name'> & { name?: string; toxicity?: number };

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
/** Above this many held bytes a link stops reading its sender, so backpressure reaches the peer's TCP window. */
const PAUSE_ABOVE_BYTES = 64 * 1024;
const RESUME_BELOW_BYTES = 16 * 1024;
/** Node fires longer setTimeout delays at once, so a toxic may not ask for more. */
const MAX_TIMER_MS = 2_147_483_647;
/** toxiproxy's bandwidth toxic releases data in 100 ms slices. */
const BANDWIDTH_SLICE_MS = 100;

type SpecOf<T extends ToxicType> = Extract<ToxicSpec, { type: T }>;

/** What travels through a link: bytes, the sender's FIN, or a toxic's order to close the connection. */
type Segment =
  | { readonly kind: 'bytes'; readonly payload: Buffer }
  | { readonly kind: 'fin' }
  | { readonly kind: 'close' };

const FIN: Segment = { kind: 'fin' };
const CLOSE: Segment = { kind: 'close' };

interface ConnectionHost {
  readonly random: () => number;
  recordDelivered(stream: ToxicStream, bytes: number): void;
  recordDropped(bytes: number): void;
  /** Bytes entered the toxics: whoever waits for data to be held looks again. */
  recordIngested(): void;
  release(connection: ProxiedConnection): void;
}

function isWritable(socket: net.Socket): boolean {
  return !socket.destroyed && !socket.writableEnded;
}

/** FIN after the unsent bytes, then let go of the socket once they are out. */
function closeGracefully(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) {
    socket.destroy();
    return;
  }
  if (!socket.writableEnded) socket.end();
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}

/** RST: the peer sees ECONNRESET and its unread data is discarded, as with a real "connection reset by peer". */
function resetHard(socket: net.Socket): void {
  // Still connecting, Node resets on 'connect' (the broker may have accepted already); a failed dial errors out alone.
  if (!socket.destroyed) socket.resetAndDestroy();
}

/** Resolves after the loop's next close phase: server.close()'s callback fires before libuv has released the handle. */
function handlesReleased(): Promise<void> {
  return new Promise<void>(resolve => setImmediate(() => setImmediate(resolve)));
}

/** Timer that never fires before its deadline: Node's loop clock can run a millisecond behind performance.now(). */
class DeadlineTimer {
  private handle: NodeJS.Timeout | undefined;

  get pending(): boolean {
    return this.handle !== undefined;
  }

  at(dueAt: number, due: () => void): void {
    this.cancel();
    const waitMs = dueAt - performance.now();
    if (waitMs <= 0) {
      due();
      return;
    }
    this.handle = setTimeout(() => {
      this.handle = undefined;
      this.at(dueAt, due);
    }, Math.ceil(waitMs));
  }

  cancel(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

/** One direction of one connection: source socket -> toxic stages -> destination socket. */
class ToxicLink {
  private readonly stages: ToxicStage[] = [];
  private inFlightBytes = 0;
  private sourcePaused = false;
  finDelivered = false;

  constructor(
    readonly stream: ToxicStream,
    readonly connection: ProxiedConnection,
    private readonly source: net.Socket,
    private readonly destination: net.Socket,
  ) {}

  get bytesInFlight(): number {
    return this.inFlightBytes + this.destination.writableLength;
  }

  append(stage: ToxicStage): void {
    this.stages.push(stage);
  }

  remove(toxicName: string): void {
    const stage = this.stages.find(candidate => candidate.toxic.name === toxicName);
    if (!stage) return;
    // Detach while still wired, so what it hands on lands ahead of anything that bypasses it afterwards.
    stage.detach();
    const index = this.stages.indexOf(stage);
    if (index >= 0) this.stages.splice(index, 1);
  }

  dispose(): void {
    for (const stage of this.stages) stage.dispose();
    // Whatever the toxics still held dies with the connection; the stats say so.
    if (this.inFlightBytes > 0) this.connection.recordDropped(this.inFlightBytes);
    this.inFlightBytes = 0;
  }

  ingest(payload: Buffer): void {
    this.inFlightBytes += payload.length;
    this.enterAt(0, { kind: 'bytes', payload });
    if (!this.sourcePaused && this.bytesInFlight > PAUSE_ABOVE_BYTES && this.connection.isOpen) {
      this.sourcePaused = true;
      this.source.pause();
    }
    this.connection.recordIngested();
  }

  ingestFin(): void {
    this.enterAt(0, FIN);
  }

  forward(from: ToxicStage, segment: Segment): void {
    const index = this.stages.indexOf(from);
    if (index >= 0) this.enterAt(index + 1, segment);
  }

  discard(bytes: number): void {
    this.inFlightBytes -= bytes;
    this.connection.recordDropped(bytes);
    this.relieve();
  }

  relieve(): void {
    if (this.sourcePaused && this.bytesInFlight <= RESUME_BELOW_BYTES && this.connection.isOpen) {
      this.sourcePaused = false;
      this.source.resume();
    }
  }

  private enterAt(index: number, segment: Segment): void {
    const stage = this.stages[index];
    if (stage) stage.accept(segment);
    else this.deliver(segment);
  }

  private deliver(segment: Segment): void {
    switch (segment.kind) {
      case 'bytes': {
        const size = segment.payload.length;
        this.inFlightBytes -= size;
        if (isWritable(this.destination)) {
          this.destination.write(segment.payload);
          this.connection.recordDelivered(this.stream, size);
        } else {
          this.connection.recordDropped(size);
        }
        this.relieve();
        return;
      }
      case 'fin':
        if (isWritable(this.destination)) this.destination.end();
        this.finDelivered = true;
        this.connection.onFinDelivered();
        return;
      case 'close':
        this.connection.close();
        return;
    }
  }
}

/** One toxic acting on one link of one connection (toxiproxy's ToxicStub). */
abstract class ToxicStage {
  protected retired = false;
  protected readonly timer = new DeadlineTimer();

  constructor(
    readonly toxic: Toxic,
    protected readonly link: ToxicLink,
  ) {}

  abstract accept(segment: Segment): void;

  /** The toxic was removed from a live connection: hand on or drop what it holds. */
  detach(): void {
    this.dispose();
  }

  /** The connection is going away: stop every timer, forget held data. */
  dispose(): void {
    this.retired = true;
    this.timer.cancel();
  }

  protected emit(segment: Segment): void {
    if (!this.retired) this.link.forward(this, segment);
  }

  protected after(delayMs: number, due: () => void): void {
    this.timer.at(performance.now() + delayMs, () => {
      if (!this.retired) due();
    });
  }
}

/** A toxic whose toxicity draw said "not on this connection". */
class PassThroughStage extends ToxicStage {
  accept(segment: Segment): void {
    this.emit(segment);
  }
}

class LatencyStage extends ToxicStage {
  private readonly queue: Array<{ segment: Segment; dueAt: number }> = [];
  private lastDueAt = 0;

  constructor(
    toxic: Toxic,
    link: ToxicLink,
    private readonly spec: SpecOf<'latency'>,
    private readonly random: () => number,
  ) {
    super(toxic, link);
  }

  accept(segment: Segment): void {
    const now = performance.now();
    const delayMs = segment.kind === 'bytes' ? this.drawDelayMs() : 0;
    // A chunk never overtakes the one before it: TCP delivers in order whatever the jitter.
    const dueAt = Math.max(now + delayMs, this.lastDueAt);
    this.lastDueAt = dueAt;
    this.queue.push({ segment, dueAt });
    if (this.queue.length === 1) this.releaseDue();
  }

  override detach(): void {
    // toxiproxy hands delayed chunks on at once when latency is removed: late, never lost, never reordered.
    while (!this.retired && this.queue.length > 0) {
      const held = this.queue.shift();
      if (held) this.emit(held.segment);
    }
    super.detach();
  }

  override dispose(): void {
    this.queue.length = 0;
    super.dispose();
  }

  private releaseDue(): void {
    while (!this.retired) {
      const head = this.queue[0];
      if (!head) return;
      if (head.dueAt > performance.now()) {
        this.timer.at(head.dueAt, () => this.releaseDue());
        return;
      }
      this.queue.shift();
      this.emit(head.segment);
    }
  }

  private drawDelayMs(): number {
    const jitterMs = this.spec.jitterMs ?? 0;
    const jitter = jitterMs > 0 ? (this.random() * 2 - 1) * jitterMs : 0;
    return Math.max(0, this.spec.latencyMs + jitter);
  }
}

/** A stage that holds segments in order: removing it hands them on at once, disposing of it drops them. */
abstract class QueueingStage extends ToxicStage {
  protected readonly queue: Segment[] = [];

  override detach(): void {
    while (!this.retired && this.queue.length > 0) {
      const held = this.queue.shift();
      if (held) this.emit(held);
    }
    super.detach();
  }

  override dispose(): void {
    this.queue.length = 0;
    super.dispose();
  }
}

class BandwidthStage extends QueueingStage {
  private readonly bytesPerMs: number;
  private readonly sliceBytes: number;
  private busyUntil = 0;

  constructor(toxic: Toxic, link: ToxicLink, spec: SpecOf<'bandwidth'>) {
    super(toxic, link);
    // toxiproxy's KB is 1,000 bytes, so KB/s is bytes per millisecond.
    this.bytesPerMs = spec.kbPerSecond;
    this.sliceBytes = Math.max(1, Math.floor(spec.kbPerSecond * BANDWIDTH_SLICE_MS));
  }

  accept(segment: Segment): void {
    this.queue.push(segment);
    if (this.queue.length === 1) this.sendNextSlice();
  }

  private sendNextSlice(): void {
    const head = this.queue[0];
    if (this.retired || !head) return;
    const sliceSize = head.kind === 'bytes' ? Math.min(head.payload.length, this.sliceBytes) : 0;
    // A slice arrives once the link has had time to carry it; an idle link starts from now.
    const dueAt = Math.max(performance.now(), this.busyUntil) + sliceSize / this.bytesPerMs;
    this.timer.at(dueAt, () => {
      this.busyUntil = dueAt;
      if (head.kind === 'bytes' && head.payload.length > sliceSize) {
        this.queue[0] = { kind: 'bytes', payload: head.payload.subarray(sliceSize) };
        this.emit({ kind: 'bytes', payload: head.payload.subarray(0, sliceSize) });
      } else {
        this.queue.shift();
        this.emit(head);
      }
      this.sendNextSlice();
    });
  }
}

class SlicerStage extends QueueingStage {

  constructor(
    toxic: Toxic,
    link: ToxicLink,
    private readonly spec: SpecOf<'slicer'>,
    private readonly random: () => number,
  ) {
    super(toxic, link);
  }

  accept(segment: Segment): void {
    this.queue.push(segment);
    // A pending timer is the pause after the previous slice; it resumes cutting.
    if (this.queue.length === 1 && !this.timer.pending) this.cutSlices();
  }

  private cutSlices(): void {
    const pauseMs = this.spec.delayMs ?? 0;
    while (!this.retired && this.queue.length > 0) {
      const head = this.queue[0];
      if (head.kind !== 'bytes') {
        this.queue.shift();
        this.emit(head);
        continue;
      }
      const size = this.drawSliceSize();
      if (head.payload.length > size) {
        this.queue[0] = { kind: 'bytes', payload: head.payload.subarray(size) };
        this.emit({ kind: 'bytes', payload: head.payload.subarray(0, size) });
      } else {
        this.queue.shift();
        this.emit(head);
      }
      if (pauseMs > 0) {
        this.after(pauseMs, () => this.cutSlices());
        return;
      }
    }
  }

  private drawSliceSize(): number {
    const variation = this.spec.sizeVariation ?? 0;
    const offset = variation > 0 ? Math.round((this.random() * 2 - 1) * variation) : 0;
    return Math.max(1, this.spec.averageSize + offset);
  }
}

/** Black hole: every byte is dropped; after timeoutMs (unless 0) the connection is closed. */
class TimeoutStage extends ToxicStage {
  private droppedBytes = 0;
  private ended = false;

  constructor(toxic: Toxic, link: ToxicLink, spec: SpecOf<'timeout'>) {
    super(toxic, link);
    if (spec.timeoutMs > 0) {
      this.after(spec.timeoutMs, () => {
        this.ended = true;
        this.emit(CLOSE);
      });
    }
  }

  accept(segment: Segment): void {
    if (segment.kind === 'bytes') {
      this.droppedBytes += segment.payload.length;
      this.link.discard(segment.payload.length);
      return;
    }
    if (this.ended) return;
    // The sender's own FIN still passes, as in toxiproxy.
    this.ended = true;
    this.timer.cancel();
    this.emit(segment);
  }

  override detach(): void {
    super.detach();
    // Bytes were dropped, so the stream has a hole TCP can never produce: close it, as toxiproxy does on removal.
    if (this.droppedBytes > 0) this.link.connection.close();
  }
}

/** toxiproxy's reset_peer: armed by the first bytes that reach it, which it swallows; RST both sides timeoutMs later. */
class ResetPeerStage extends ToxicStage {
  private armed = false;

  constructor(
    toxic: Toxic,
    link: ToxicLink,
    private readonly spec: SpecOf<'reset_peer'>,
  ) {
    super(toxic, link);
  }

  accept(segment: Segment): void {
    if (segment.kind === 'bytes') this.link.discard(segment.payload.length);
    if (this.armed) return;
    this.armed = true;
    this.after(this.spec.timeoutMs, () => this.link.connection.reset());
  }

  override detach(): void {
    const wasArmed = this.armed && !this.retired;
    super.detach();
    // What it swallowed is gone, so the connection cannot carry on: reset it now rather than leave a hole.
    if (wasArmed) this.link.connection.reset();
  }
}

class LimitDataStage extends ToxicStage {
  private passedBytes = 0;
  private ended = false;

  constructor(
    toxic: Toxic,
    link: ToxicLink,
    private readonly spec: SpecOf<'limit_data'>,
  ) {
    super(toxic, link);
  }

  accept(segment: Segment): void {
    if (this.ended) {
      if (segment.kind === 'bytes') this.link.discard(segment.payload.length);
      return;
    }
    if (segment.kind !== 'bytes') {
      this.ended = true;
      this.emit(segment);
      return;
    }
    const allowance = Math.max(0, this.spec.bytes - this.passedBytes);
    const passing = segment.payload.subarray(0, allowance);
    const excess = segment.payload.length - passing.length;
    if (excess > 0) this.link.discard(excess);
    if (passing.length > 0) {
      this.passedBytes += passing.length;
      this.emit({ kind: 'bytes', payload: passing });
    }
    if (this.passedBytes >= this.spec.bytes) {
      this.ended = true;
      this.emit(CLOSE);
    }
  }
}

class SlowCloseStage extends ToxicStage {
  private heldEnd: Segment | undefined;

  constructor(
    toxic: Toxic,
    link: ToxicLink,
    private readonly spec: SpecOf<'slow_close'>,
  ) {
    super(toxic, link);
  }

  accept(segment: Segment): void {
    if (segment.kind === 'bytes') {
      this.emit(segment);
      return;
    }
    if (this.heldEnd) return;
    this.heldEnd = segment;
    this.after(this.spec.delayMs, () => this.releaseEnd());
  }

  override detach(): void {
    this.releaseEnd();
    super.detach();
  }

  override dispose(): void {
    this.heldEnd = undefined;
    super.dispose();
  }

  private releaseEnd(): void {
    const end = this.heldEnd;
    this.heldEnd = undefined;
    if (end) this.emit(end);
  }
}

function createStage(toxic: Toxic, link: ToxicLink, active: boolean, random: () => number): ToxicStage {
  if (!active) return new PassThroughStage(toxic, link);
  const spec = toxic.spec;
  switch (spec.type) {
    case 'latency':
      return new LatencyStage(toxic, link, spec, random);
    case 'bandwidth':
      return new BandwidthStage(toxic, link, spec);
    case 'slicer':
      return new SlicerStage(toxic, link, spec, random);
    case 'timeout':
      return new TimeoutStage(toxic, link, spec);
    case 'reset_peer':
      return new ResetPeerStage(toxic, link, spec);
    case 'limit_data':
      return new LimitDataStage(toxic, link, spec);
    case 'slow_close':
      return new SlowCloseStage(toxic, link, spec);
  }
}

/** One gateway connection and the proxy's own connection to the broker behind it. */
class ProxiedConnection {
  readonly upstream: ToxicLink;
  readonly downstream: ToxicLink;
  readonly closed: Promise<void>;
  private phase: 'connecting' | 'open' | 'closing' = 'connecting';
  private socketsOpen = 2;
  private markClosed: () => void = () => undefined;

  constructor(
    private readonly host: ConnectionHost,
    private readonly client: net.Socket,
    private readonly server: net.Socket,
    toxics: readonly Toxic[],
  ) {
    this.closed = new Promise<void>(resolve => {
      this.markClosed = resolve;
    });
    this.upstream = new ToxicLink('upstream', this, client, server);
    this.downstream = new ToxicLink('downstream', this, server, client);
    for (const socket of [client, server]) {
      // Nagle plus delayed ACK would add ~40 ms stalls of the proxy's own on top of the toxics.
      socket.setNoDelay(true);
      // A reset or broken pipe must never crash the run; 'close' with hadError tears the path down.
      socket.on('error', () => undefined);
      socket.once('close', (hadError: boolean) => this.onSocketClosed(socket, hadError));
    }
    server.once('connect', () => this.open());
    for (const toxic of toxics) this.attachToxic(toxic);
  }

  get isOpen(): boolean {
    return this.phase === 'open';
  }

  get bytesInFlight(): number {
    return this.upstream.bytesInFlight + this.downstream.bytesInFlight;
  }

  attachToxic(toxic: Toxic): void {
    if (this.phase === 'closing') return;
    const link = toxic.stream === 'upstream' ? this.upstream : this.downstream;
    link.append(createStage(toxic, link, this.drawToxicity(toxic.toxicity), this.host.random));
  }

  detachToxic(name: string): void {
    this.upstream.remove(name);
    this.downstream.remove(name);
  }

  recordDelivered(stream: ToxicStream, bytes: number): void {
    this.host.recordDelivered(stream, bytes);
  }

  recordDropped(bytes: number): void {
    this.host.recordDropped(bytes);
  }

  recordIngested(): void {
    this.host.recordIngested();
  }

  onFinDelivered(): void {
    if (this.upstream.finDelivered && this.downstream.finDelivered) this.close();
  }

  /** Orderly close of both sides (FIN after unsent bytes); what toxics still hold is dropped. */
  close(): void {
    this.tearDown();
    closeGracefully(this.client);
    closeGracefully(this.server);
  }

  /** Connection reset by peer, seen by both sides. */
  reset(): void {
    this.tearDown();
    resetHard(this.client);
    resetHard(this.server);
  }

  /** The proxy itself goes away (down/stop): sockets closed at once, as toxiproxy does when disabled. */
  destroy(): void {
    this.tearDown();
    this.client.destroy();
    this.server.destroy();
  }

  private open(): void {
    if (this.phase !== 'connecting') return;
    this.phase = 'open';
    this.client.on('data', (chunk: Buffer) => {
      if (this.isOpen) this.upstream.ingest(chunk);
    });
    this.client.on('end', () => {
      if (this.isOpen) this.upstream.ingestFin();
    });
    this.server.on('data', (chunk: Buffer) => {
      if (this.isOpen) this.downstream.ingest(chunk);
    });
    this.server.on('end', () => {
      if (this.isOpen) this.downstream.ingestFin();
    });
    this.client.on('drain', () => this.downstream.relieve());
    this.server.on('drain', () => this.upstream.relieve());
    // The listener accepted with pauseOnConnect: the gateway is read only once the broker is reachable.
    this.client.resume();
  }

  private onSocketClosed(socket: net.Socket, hadError: boolean): void {
    this.socketsOpen -= 1;
    if (socket === this.server && this.phase === 'connecting') {
      // Broker unreachable: drop the gateway's connection, as toxiproxy does when its dial fails.
      this.tearDown();
      this.client.destroy();
    } else if (hadError && this.phase !== 'closing') {
      // A reset or write failure on one side takes the whole path down, as it would without a proxy.
      this.reset();
    }
    if (this.socketsOpen === 0) {
      this.tearDown();
      this.host.release(this);
      this.markClosed();
    }
  }

  private tearDown(): void {
    this.phase = 'closing';
    this.upstream.dispose();
    this.downstream.dispose();
  }

  private drawToxicity(toxicity: number): boolean {
    if (toxicity >= 1) return true;
    if (toxicity <= 0) return false;
    return this.host.random() < toxicity;
  }
}

function requireNumber(label: string, value: number, min: number, max: number, integer = false): void {
  const valid = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
  if (!valid || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${label} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(value)}`);
  }
}

function validateToxic(toxic: Toxic): void {
  const label = `toxic ${toxic.name}`;
  if (toxic.stream !== 'upstream' && toxic.stream !== 'downstream') {
    throw new RangeError(`${label}: stream must be upstream or downstream, got ${String(toxic.stream)}`);
  }
  requireNumber(`${label}: toxicity`, toxic.toxicity, 0, 1);
  const spec = toxic.spec;
  switch (spec.type) {
    case 'latency':
      requireNumber(`${label}: latencyMs`, spec.latencyMs, 0, MAX_TIMER_MS);
      if (spec.jitterMs !== undefined) requireNumber(`${label}: jitterMs`, spec.jitterMs, 0, MAX_TIMER_MS);
      return;
    case 'bandwidth':
      requireNumber(`${label}: kbPerSecond`, spec.kbPerSecond, 0, Number.MAX_SAFE_INTEGER);
      // Zero would mean "never deliver": that is the timeout toxic, not a bandwidth.
      if (spec.kbPerSecond === 0) throw new RangeError(`${label}: kbPerSecond must be above 0`);
      return;
    case 'slicer':
      requireNumber(`${label}: averageSize`, spec.averageSize, 1, Number.MAX_SAFE_INTEGER, true);
      if (spec.sizeVariation !== undefined) {
        requireNumber(`${label}: sizeVariation`, spec.sizeVariation, 0, spec.averageSize - 1, true);
      }
      if (spec.delayMs !== undefined) requireNumber(`${label}: delayMs`, spec.delayMs, 0, MAX_TIMER_MS);
      return;
    case 'timeout':
    case 'reset_peer':
      requireNumber(`${label}: timeoutMs`, spec.timeoutMs, 0, MAX_TIMER_MS);
      return;
    case 'limit_data':
      requireNumber(`${label}: bytes`, spec.bytes, 0, Number.MAX_SAFE_INTEGER, true);
      return;
    case 'slow_close':
      requireNumber(`${label}: delayMs`, spec.delayMs, 0, MAX_TIMER_MS);
      return;
    default: {
      const unknown: never = spec;
      throw new RangeError(`${label}: unknown toxic type ${String((unknown as { type?: unknown }).type)}`);
    }
  }
}

export class FaultProxy {
  private readonly chain: Toxic[] = [];
  /** Toxics taken off the chain for new connections but still acting on the connections that had them. */
  private readonly lingering = new Map<string, Toxic>();
  private readonly holdWaiters = new ConditionWaiters();
  private readonly connections = new Set<ProxiedConnection>();
  private readonly counters = { connectionsAccepted: 0, bytesUpstream: 0, bytesDownstream: 0, bytesDropped: 0, largestWriteUpstream: 0, largestWriteDownstream: 0 };
  private readonly host: ConnectionHost;
  private listener: net.Server | undefined;
  private listenPort = 0;
  private lifecycle: Promise<void> = Promise.resolve();

  constructor(private readonly options: FaultProxyOptions) {
    requireNumber(`fault proxy ${options.name}: upstreamPort`, options.upstreamPort, 1, 65535, true);
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
      recordIngested: () => {
        this.holdWaiters.changed();
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
    return this.chain.map(toxic => ({ ...toxic, spec: { ...toxic.spec } }));
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
    const toxic: Toxic = {
      name: request.name ?? `${request.spec.type}_${request.stream}`,
      stream: request.stream,
      toxicity: request.toxicity ?? 1,
      spec: { ...request.spec },
    };
    validateToxic(toxic);
    if (this.chain.some(existing => existing.name === toxic.name) || this.lingering.has(toxic.name)) {
      throw new Error(`fault proxy ${this.options.name} already has a toxic named ${toxic.name}`);
    }
    this.chain.push(toxic);
    for (const connection of this.connections) connection.attachToxic(toxic);
    return toxic.name;
  }

  removeToxic(name: string): void {
    const index = this.chain.findIndex(toxic => toxic.name === name);
    if (index < 0 && !this.lingering.delete(name)) throw new Error(`fault proxy ${this.options.name} has no toxic named ${name}`);
    if (index >= 0) this.chain.splice(index, 1);
    for (const connection of [...this.connections]) connection.detachToxic(name);
  }

  /**
   * Connections opened from now on do not get this toxic; the ones that have it keep it (and what it
   * holds) until it is removed: the requests of a process that died stay on the network, the new
   * process's do not.
   */
  spareNewConnections(name: string): void {
    const index = this.chain.findIndex(toxic => toxic.name === name);
    if (index < 0) throw new Error(`fault proxy ${this.options.name} has no toxic named ${name}`);
    this.lingering.set(name, this.chain.splice(index, 1)[0]);
  }

  clearToxics(): void {
    for (const name of [...this.chain.map(toxic => toxic.name), ...this.lingering.keys()]) this.removeToxic(name);
  }

  /** Resolves once toxics hold bytes sent on this stream (a request on its way, not yet delivered). */
  whenHolding(stream: ToxicStream, timeoutMs: number): Promise<void> {
    const holding = () => [...this.connections].some(connection => (stream === 'upstream' ? connection.upstream : connection.downstream).bytesInFlight > 0);
    return this.holdWaiters.until(holding, timeoutMs, () => new Error(`fault proxy ${this.options.name}: nothing held ${stream} within ${timeoutMs} ms`));
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
    this.connections.add(new ProxiedConnection(this.host, client, server, this.chain));
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
