import { MAX_TIMER_MS, requireNumber } from '../number-checks';
import { CLOSE, Segment } from '../segment';
import { SpecOf, Toxic } from '../toxic';
import { StageLink, ToxicStage } from './toxic-stage';

/** Black hole: every byte is dropped; after timeoutMs (unless 0) the connection is closed. */
export class TimeoutStage extends ToxicStage {
  private droppedBytes = 0;
  private ended = false;

  constructor(toxic: Toxic, link: StageLink, spec: SpecOf<'timeout'>) {
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

export function validateTimeout(label: string, spec: SpecOf<'timeout'>): void {
  requireNumber(`${label}: timeoutMs`, spec.timeoutMs, 0, MAX_TIMER_MS);
}
