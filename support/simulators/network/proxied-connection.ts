import net from 'node:net';
import { closeGracefully, resetHard } from './sockets';
import { Toxic, ToxicStream } from './toxic';
import { LinkOwner, ToxicLink } from './toxic-link';
import { createStage } from './toxics';

/** What a connection reports to, and draws its randomness from: the proxy that accepted it. */
export interface ConnectionHost {
  readonly random: () => number;
  recordDelivered(stream: ToxicStream, bytes: number): void;
  recordDropped(bytes: number): void;
  /** Bytes entered the toxics: whoever waits for data to be held looks again. */
  recordIngested(stream: ToxicStream, withheld: boolean): void;
  release(connection: ProxiedConnection): void;
}

/** One gateway connection and the proxy's own connection to the broker behind it. */
export class ProxiedConnection implements LinkOwner {
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

  recordIngested(stream: ToxicStream, withheld: boolean): void {
    this.host.recordIngested(stream, withheld);
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
