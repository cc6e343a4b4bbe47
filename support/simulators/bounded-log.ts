/**
 * The last `capacity` entries of a log that would otherwise grow with every request a long run
 * makes, oldest first, and a count of the older ones it let go.
 */
export class BoundedLog<T> {
  private readonly entries: T[] = [];
  /** Where the oldest entry sits once the ring is full. */
  private head = 0;
  private droppedCount = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new Error(`BoundedLog: capacity must be a whole number of at least 1, got ${capacity}`);
  }

  push(entry: T): void {
    if (this.entries.length < this.capacity) {
      this.entries.push(entry);
      return;
    }
    this.entries[this.head] = entry;
    this.head = (this.head + 1) % this.capacity;
    this.droppedCount += 1;
  }

  /** Forget every entry (a restarted broker's history starts again); the dropped count goes too. */
  clear(): void {
    this.entries.length = 0;
    this.head = 0;
    this.droppedCount = 0;
  }

  get length(): number {
    return this.entries.length;
  }

  /** Entries dropped to stay within the capacity. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** A copy, oldest first. */
  toArray(): T[] {
    return [...this.entries.slice(this.head), ...this.entries.slice(0, this.head)];
  }
}
