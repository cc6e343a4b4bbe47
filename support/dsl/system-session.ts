import { ConditionWaiters } from '../condition-waiters';
import type { LogRebuildReport, StoredEvent, SystemConfiguration, SystemUnderTest, SystemUnderTestDriver } from '../sut';
import type { RaisedErrors } from './raised-errors';

/**
 * How long a wait gives what it waits for, in one place. What a step starts settles here within a
 * few turns of the event loop; what has to come from the broker over a network a scenario may have
 * slowed, or only after a restart and a recovery, is given longer.
 */
export const WAIT_MS = {
  /** The system's own work, and the broker's reports over an undisturbed link. */
  settle: 2000,
  /** The broker's answer over a disturbed network, or an order acknowledged only after a restart. */
  broker: 4000,
} as const;

/**
 * The life of the trading system in one scenario, said out loud: it starts when a step starts it,
 * stops (a crash, a shutdown) when a step stops it, and starts again on the same log. Waits live
 * here because they outlast an instance: a wait started before a restart keeps listening after it.
 */
export class SystemSession {
  private current: SystemUnderTest | null = null;
  private starting = false;
  private stopListening: (() => void) | null = null;
  private stopListeningToMarket: (() => void) | null = null;
  private readonly waiters = new ConditionWaiters();
  private readonly listeners = new Set<(event: StoredEvent) => void>();
  /** How many times the system has been started in this scenario. */
  starts = 0;

  constructor(
    private readonly driver: SystemUnderTestDriver,
    private readonly configuration: () => SystemConfiguration,
    /** Where a listener's failure goes: no step can catch it, so the scenario must account for it. */
    private readonly errors: RaisedErrors,
  ) {}

  get isRunning(): boolean {
    return this.current !== null;
  }

  /** The running system; reading it never starts one. */
  get system(): SystemUnderTest {
    if (!this.current) {
      throw new Error(this.starts === 0 ? 'the trading system has not been started: a Given starts it (an account funded with ...)' : 'the trading system is down: a step restarts it');
    }
    return this.current;
  }

  async start(): Promise<SystemUnderTest> {
    if (this.current || this.starting) throw new Error('the trading system is already running');
    this.starting = true;
    let system: SystemUnderTest;
    try {
      system = await this.driver.start(this.configuration());
    } finally {
      this.starting = false;
    }
    this.current = system;
    this.starts += 1;
    this.stopListening = system.events.onAppend(event => this.tell(event));
    // A book delta records no event: a wait on the system's market is re-checked on every message too.
    this.stopListeningToMarket = system.onMarketData(() => this.waiters.changed());
    // What the system recorded while it started (connecting to its routes) is told now, in order.
    for (const event of system.events.since(system.eventsReplayed)) this.tell(event);
    return system;
  }

  /** The process ends, its log file and connections closed; what it had not written is gone. */
  async stop(): Promise<void> {
    this.stopListening?.();
    this.stopListening = null;
    this.stopListeningToMarket?.();
    this.stopListeningToMarket = null;
    const system = this.current;
    this.current = null;
    await system?.stop();
  }

  private tell(event: StoredEvent): void {
    // Each listener on its own: one that throws must not keep the event from the others, or from the waits.
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.errors.record(`a listener to the system's events (event ${event.seq}, ${event.type})`, error);
      }
    }
    this.waiters.changed();
  }

  /** Told of every event any instance of this scenario appends. */
  onEvent(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once a condition over the system holds, re-checked as each event is appended. */
  until(description: string, holds: () => boolean, timeoutMs: number = WAIT_MS.settle): Promise<void> {
    return this.waiters.until(holds, timeoutMs, () => new Error(`timed out after ${timeoutMs} ms waiting for ${description}`));
  }

  /**
   * The first event after a log mark that matches: looked for once in what is there, then in each
   * event as it is appended. A match that throws fails this wait with its error.
   */
  forEvent(description: string, match: (event: StoredEvent) => boolean, afterMark = 0, timeoutMs: number = WAIT_MS.settle): Promise<StoredEvent> {
    return new Promise((resolve, reject) => {
      const settle = (outcome: { readonly event: StoredEvent } | { readonly error: unknown }) => {
        clearTimeout(timer);
        stop();
        if ('event' in outcome) resolve(outcome.event);
        else reject(outcome.error);
      };
      const look = (events: readonly StoredEvent[]): boolean => {
        try {
          const event = events.find(e => e.seq > afterMark && match(e));
          if (event) settle({ event });
          return event !== undefined;
        } catch (error) {
          settle({ error });
          return true;
        }
      };
      const timer = setTimeout(() => settle({ error: new Error(`timed out after ${timeoutMs} ms waiting for ${description}`) }), timeoutMs);
      let stop = () => {};
      if (look(this.isRunning ? this.system.events.since(afterMark) : [])) return;
      stop = this.onEvent(event => {
        look([event]);
      });
    });
  }

  /** While the system is down: change a recorded event's payload field in the stored log, as someone editing the file would. */
  tamperWithLog(change: { readonly eventType: string; readonly field: string; readonly value: string }): void {
    const { dataDir, clock } = this.whileDown('the log is edited');
    this.driver.tamperWithLog(dataDir, clock, change);
  }

  /** While the system is down: open the stored log and check it; a refusal is the system's own error, thrown. */
  openLog(): void {
    const { dataDir, clock } = this.whileDown('the log is opened on its own');
    this.driver.openLog(dataDir, clock);
  }

  /** While the system is down on a corrupted log: keep it aside and write a new one from the broker's books. */
  rebuildLogFromBroker(): Promise<LogRebuildReport> {
    return this.driver.rebuildLogFromBroker(this.whileDown('the log is rebuilt'));
  }

  private whileDown(what: string): SystemConfiguration {
    if (this.current) throw new Error(`the trading system is running: ${what} only while it is down`);
    return this.configuration();
  }
}
