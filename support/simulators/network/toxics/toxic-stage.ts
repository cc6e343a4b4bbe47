import { performance } from 'node:perf_hooks';
import { Segment } from '../segment';
import { Toxic } from '../toxic';
import { DeadlineTimer } from './deadline-timer';

/** What a stage may do to the link it sits on and to the connection behind it. */
export interface StageLink {
  /** Hand a segment on to the next stage of the link, or to the destination socket after the last. */
  forward(from: ToxicStage, segment: Segment): void;
  /** Bytes the stage threw away: no longer in flight, counted as dropped. */
  discard(bytes: number): void;
  readonly connection: { close(): void; reset(): void };
}

/** One toxic acting on one link of one connection (toxiproxy's ToxicStub). */
export abstract class ToxicStage {
  protected retired = false;
  protected readonly timer = new DeadlineTimer();

  constructor(
    readonly toxic: Toxic,
    protected readonly link: StageLink,
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
export class PassThroughStage extends ToxicStage {
  accept(segment: Segment): void {
    this.emit(segment);
  }
}

/** A stage that holds segments in order: removing it hands them on at once, disposing of it drops them. */
export abstract class QueueingStage extends ToxicStage {
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
