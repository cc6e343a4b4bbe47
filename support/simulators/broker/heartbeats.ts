/** Where a heartbeat gets the session and last seq it names, and the channels it goes to. */
export interface HeartbeatSource {
  readonly lastSeq: number;
  readonly session: string;
  broadcast(text: string): void;
}

/** Heartbeats on every user channel, in real time; a scenario can stop them or forge one. */
export class Heartbeats {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private counter = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly source: HeartbeatSource,
  ) {}

  /** A new session counts its heartbeats from 1 again. */
  restartCount(): void {
    this.counter = 0;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.beat(), this.intervalMs);
  }

  clearTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** No heartbeats until resumed, through restarts too. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  resume(listening: boolean): void {
    this.stopped = false;
    if (listening) this.start();
  }

  /** A heartbeat of this session naming any report seq, as a faulty or hostile broker might send. */
  sendForged(seq: number): void {
    this.counter += 1;
    this.source.broadcast(JSON.stringify({ type: 'heartbeat', counter: this.counter, at: new Date().toISOString(), seq, epoch: this.source.session }));
  }

  private beat(): void {
    this.counter += 1;
    // The last sequence number sent rides on every heartbeat, so a lost last report is noticed within one beat.
    this.source.broadcast(JSON.stringify({ type: 'heartbeat', counter: this.counter, at: new Date().toISOString(), seq: this.source.lastSeq, epoch: this.source.session }));
  }
}
