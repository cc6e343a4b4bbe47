import { performance } from 'node:perf_hooks';
import { MAX_TIMER_MS, requireNumber } from '../number-checks';
import { Segment } from '../segment';
import { SpecOf, Toxic } from '../toxic';
import { StageLink, ToxicStage } from './toxic-stage';

/** toxiproxy's latency: every chunk is delayed by latencyMs, give or take a seeded jitter of up to jitterMs. */
export class LatencyStage extends ToxicStage {
  private readonly queue: Array<{ segment: Segment; dueAt: number }> = [];
  private lastDueAt = 0;

  constructor(
    toxic: Toxic,
    link: StageLink,
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

export function validateLatency(label: string, spec: SpecOf<'latency'>): void {
  requireNumber(`${label}: latencyMs`, spec.latencyMs, 0, MAX_TIMER_MS);
  if (spec.jitterMs !== undefined) requireNumber(`${label}: jitterMs`, spec.jitterMs, 0, MAX_TIMER_MS);
}
