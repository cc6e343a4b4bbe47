import { MAX_TIMER_MS, requireNumber } from '../number-checks';
import { Segment } from '../segment';
import { SpecOf, Toxic } from '../toxic';
import { StageLink, ToxicStage } from './toxic-stage';

/** toxiproxy's reset_peer: armed by the first bytes that reach it, which it swallows; RST both sides timeoutMs later. */
export class ResetPeerStage extends ToxicStage {
  private armed = false;

  constructor(
    toxic: Toxic,
    link: StageLink,
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

export function validateResetPeer(label: string, spec: SpecOf<'reset_peer'>): void {
  requireNumber(`${label}: timeoutMs`, spec.timeoutMs, 0, MAX_TIMER_MS);
}
