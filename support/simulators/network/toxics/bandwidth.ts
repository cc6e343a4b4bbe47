import { performance } from 'node:perf_hooks';
import { requireNumber } from '../number-checks';
import { Segment } from '../segment';
import { SpecOf, Toxic } from '../toxic';
import { QueueingStage, StageLink } from './toxic-stage';

/** toxiproxy's bandwidth toxic releases data in 100 ms slices. */
const BANDWIDTH_SLICE_MS = 100;

/** toxiproxy's bandwidth: the link carries at most kbPerSecond, a slice at a time. */
export class BandwidthStage extends QueueingStage {
  private readonly bytesPerMs: number;
  private readonly sliceBytes: number;
  private busyUntil = 0;

  constructor(toxic: Toxic, link: StageLink, spec: SpecOf<'bandwidth'>) {
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

export function validateBandwidth(label: string, spec: SpecOf<'bandwidth'>): void {
  requireNumber(`${label}: kbPerSecond`, spec.kbPerSecond, 0, Number.MAX_SAFE_INTEGER);
  // Zero would mean "never deliver": that is the timeout toxic, not a bandwidth.
  if (spec.kbPerSecond === 0) throw new RangeError(`${label}: kbPerSecond must be above 0`);
}
