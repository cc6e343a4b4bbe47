import { requireNumber } from '../number-checks';
import { CLOSE, Segment } from '../segment';
import { SpecOf, Toxic } from '../toxic';
import { StageLink, ToxicStage } from './toxic-stage';

/** toxiproxy's limit_data: the first `bytes` bytes pass, then the connection is closed and the rest dropped. */
export class LimitDataStage extends ToxicStage {
  private passedBytes = 0;
  private ended = false;

  constructor(
    toxic: Toxic,
    link: StageLink,
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

export function validateLimitData(label: string, spec: SpecOf<'limit_data'>): void {
  requireNumber(`${label}: bytes`, spec.bytes, 0, Number.MAX_SAFE_INTEGER, true);
}
