import { performance } from 'node:perf_hooks';

/** Timer that never fires before its deadline: Node's loop clock can run a millisecond behind performance.now(). */
export class DeadlineTimer {
  private handle: NodeJS.Timeout | undefined;

  get pending(): boolean {
    return this.handle !== undefined;
  }

  at(dueAt: number, due: () => void): void {
    this.cancel();
    const waitMs = dueAt - performance.now();
    if (waitMs <= 0) {
      due();
      return;
    }
    this.handle = setTimeout(() => {
      this.handle = undefined;
      this.at(dueAt, due);
    }, Math.ceil(waitMs));
  }

  cancel(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}
