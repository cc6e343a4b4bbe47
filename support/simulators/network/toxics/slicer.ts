import { MAX_TIMER_MS, requireNumber } from '../number-checks';
import { Segment } from '../segment';
import { SpecOf, Toxic } from '../toxic';
import { QueueingStage, StageLink } from './toxic-stage';

/** toxiproxy's slicer: chunks cut into pieces of about averageSize bytes, optionally a pause between pieces. */
export class SlicerStage extends QueueingStage {
  constructor(
    toxic: Toxic,
    link: StageLink,
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

export function validateSlicer(label: string, spec: SpecOf<'slicer'>): void {
  requireNumber(`${label}: averageSize`, spec.averageSize, 1, Number.MAX_SAFE_INTEGER, true);
  if (spec.sizeVariation !== undefined) {
    requireNumber(`${label}: sizeVariation`, spec.sizeVariation, 0, spec.averageSize - 1, true);
  }
  if (spec.delayMs !== undefined) requireNumber(`${label}: delayMs`, spec.delayMs, 0, MAX_TIMER_MS);
}
