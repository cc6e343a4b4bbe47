import net from 'node:net';
import { FIN, Segment } from './segment';
import { isWritable } from './sockets';
import { ToxicStream } from './toxic';
import { StageLink, ToxicStage } from './toxics';

/** Above this many held bytes a link stops reading its sender, so backpressure reaches the peer's TCP window. */
const PAUSE_ABOVE_BYTES = 64 * 1024;
const RESUME_BELOW_BYTES = 16 * 1024;

/** What a link reports to, and may close, the connection it belongs to. */
export interface LinkOwner {
  readonly isOpen: boolean;
  recordDelivered(stream: ToxicStream, bytes: number): void;
  recordDropped(bytes: number): void;
  /** A chunk was taken in; withheld: a toxic did not pass all of it on at once (held, slowed or dropped it). */
  recordIngested(stream: ToxicStream, withheld: boolean): void;
  onFinDelivered(): void;
  close(): void;
  reset(): void;
}

/** One direction of one connection: source socket -> toxic stages -> destination socket. */
export class ToxicLink implements StageLink {
  private readonly stages: ToxicStage[] = [];
  private inFlightBytes = 0;
  /** Bytes written to the destination so far: what a chunk taken in got through at once. */
  private passedOnBytes = 0;
  private sourcePaused = false;
  finDelivered = false;

  constructor(
    readonly stream: ToxicStream,
    readonly connection: LinkOwner,
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
    const passedBefore = this.passedOnBytes;
    this.enterAt(0, { kind: 'bytes', payload });
    const withheld = this.passedOnBytes - passedBefore < payload.length;
    if (!this.sourcePaused && this.bytesInFlight > PAUSE_ABOVE_BYTES && this.connection.isOpen) {
      this.sourcePaused = true;
      this.source.pause();
    }
    this.connection.recordIngested(this.stream, withheld);
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
          this.passedOnBytes += size;
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
