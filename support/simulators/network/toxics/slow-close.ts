import { MAX_TIMER_MS, requireNumber } from '../number-checks';
import { Segment } from '../segment';
import { SpecOf, Toxic } from '../toxic';
import { StageLink, ToxicStage } from './toxic-stage';

/** toxiproxy's slow_close: bytes pass, the end of the stream (FIN or close) is held back delayMs. */
export class SlowCloseStage extends ToxicStage {
  private heldEnd: Segment | undefined;

  constructor(
    toxic: Toxic,
    link: StageLink,
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

export function validateSlowClose(label: string, spec: SpecOf<'slow_close'>): void {
  requireNumber(`${label}: delayMs`, spec.delayMs, 0, MAX_TIMER_MS);
}
