import http from 'node:http';
import type { FaultProxy, FaultProxyStats } from '../simulators/network';
import { SUITE_CLIENT_TIMINGS, isOrderRequest } from '../broker-connection';
import type { ScenarioContext } from './scenario-context';
import type { Operator } from './operator';
import { WAIT_MS } from './system-session';
import { LAST_FAULT, markLog } from './broker-events';
import { LAST_ORDER } from './trader';

/** The toxics the network's faults are known by, so the step that ends a fault removes the one its start added. */
const SLOW_ANSWERS = 'slow answers';
const BLACK_HOLE = 'black hole';
const HELD = 'held requests';
/** How long the network holds what it holds: longer than any scenario runs. */
const HOLD_MS = 60_000;

/** The answer someone who replays a captured request gets. */
export interface ReplayAnswer {
  readonly status: number;
  readonly body: string;
}

/** A network that is slow, narrow and choppy each way, but not lossy. */
export interface PoorNetwork {
  readonly latencyMs: number;
  readonly jitterMs: number;
  readonly kbPerSecond: number;
  readonly pieceBytes: number;
}

/** The network between the trading system and the broker: the TCP fault proxy on the link, and the system's end of it. */
export class Network {
  /** Ends the fault's letting the system's transport time pass (see lateAnswersLetTimePass). */
  private stopLettingTimePass: (() => void) | null = null;

  constructor(
    private readonly context: ScenarioContext,
    private readonly operator: Operator,
  ) {}

  /**
   * While the network withholds what the system sends (held or swallowed on its way), the system
   * can only wait for its request timeout: that much of the route's transport time passes at once,
   * for each piece withheld, instead of the scenario waiting it out.
   */
  private withheldRequestsLetTimeoutPass(): void {
    const { transportTime } = this.context.connection;
    this.letTimePassUntilTheFaultEnds(
      this.link.onWithheld(stream => {
        if (stream === 'upstream') transportTime.pass(SUITE_CLIENT_TIMINGS.requestTimeoutMs);
      }),
    );
  }

  /** While the network delays the broker's answers, each answer the broker sends lets the delay pass on the route's transport time. */
  private lateAnswersLetTimePass(delayMs: number): void {
    const { transportTime, server } = this.context.connection;
    this.letTimePassUntilTheFaultEnds(server.onAnswered(() => transportTime.pass(delayMs)));
  }

  private letTimePassUntilTheFaultEnds(stop: () => void): void {
    this.stopLettingTimePass?.();
    this.stopLettingTimePass = stop;
  }

  private faultEnded(): void {
    this.stopLettingTimePass?.();
    this.stopLettingTimePass = null;
  }

  /** The fault proxy on the link to the broker: only on the wire. */
  get link(): FaultProxy {
    return this.context.connection.link;
  }

  // ---- outages ----

  /** The link to the broker goes away: every connection is closed and new ones are refused. */
  async goDown(): Promise<void> {
    markLog(this.context, LAST_FAULT);
    await this.link.down();
  }

  /** The link comes back on the same port (the trading system may be down meanwhile). */
  async comeBack(): Promise<void> {
    await this.link.up();
  }

  /** Every open connection is reset; new ones are let through. */
  resetConnections(): void {
    markLog(this.context, LAST_FAULT);
    this.link.resetConnections();
  }

  // ---- a slow or lossy link ----

  /** How long the system's client waits for an answer, as the suite configures it. */
  requestTimeoutMs(): number {
    return SUITE_CLIENT_TIMINGS.requestTimeoutMs;
  }

  /** Everything the broker sends is held for ms; removing the delay hands on at once what was held. */
  delayAnswers(ms: number): void {
    this.link.addToxic({ name: SLOW_ANSWERS, stream: 'downstream', spec: { type: 'latency', latencyMs: ms } });
    this.lateAnswersLetTimePass(ms);
  }

  removeDelay(): void {
    this.faultEnded();
    this.link.removeToxic(SLOW_ANSWERS);
  }

  /** Everything sent to the broker disappears on the way; nothing is answered. */
  swallowRequests(): void {
    this.link.addToxic({ name: BLACK_HOLE, stream: 'upstream', spec: { type: 'timeout', timeoutMs: 0 } });
    this.withheldRequestsLetTimeoutPass();
  }

  stopSwallowing(): void {
    this.faultEnded();
    this.link.removeToxic(BLACK_HOLE);
  }

  /** Latency with jitter, a bandwidth cap and writes cut into pieces, each way; the traffic is counted from here. */
  degrade({ latencyMs, jitterMs, kbPerSecond, pieceBytes }: PoorNetwork): void {
    const link = this.link;
    for (const stream of ['upstream', 'downstream'] as const) {
      link.addToxic({ stream, spec: { type: 'latency', latencyMs, jitterMs } });
      link.addToxic({ stream, spec: { type: 'bandwidth', kbPerSecond } });
      link.addToxic({ stream, spec: { type: 'slicer', averageSize: pieceBytes, sizeVariation: pieceBytes / 2 } });
    }
    link.resetStats();
    markLog(this.context, LAST_FAULT);
  }

  /** Until the link holds more than it held: a request just sent is on its way, and held too. Returns what it holds then. */
  async untilHoldingMoreThan(bytes: number): Promise<number> {
    await this.link.whenHoldingMoreThan(bytes, WAIT_MS.broker);
    return this.link.stats.bytesInFlight;
  }

  /** What the link carried since its counters were last started afresh. */
  traffic(): FaultProxyStats {
    return this.link.stats;
  }

  // ---- requests held on the way (a dying process's) ----

  /** Every request to the broker is held on the network until it is let through. */
  holdRequests(): void {
    this.link.addToxic({ name: HELD, stream: 'upstream', spec: { type: 'latency', latencyMs: HOLD_MS } });
    this.withheldRequestsLetTimeoutPass();
  }

  /** Once the network holds a request, the trading system dies; what it sent stays held, a new process's connections get through. */
  async crashWithRequestHeld(): Promise<void> {
    await this.link.whenHolding('upstream', WAIT_MS.broker);
    await this.operator.crash();
    this.link.spareNewConnections(HELD);
  }

  /** What the network held reaches the broker; returns once the broker has answered the order request in it. */
  async releaseHeldRequests(): Promise<void> {
    const server = this.context.connection.server;
    let stopListening: () => void = () => undefined;
    const answered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS.broker} ms waiting for the broker to answer the held order request`)), WAIT_MS.broker);
      stopListening = server.onAnswered(entry => {
        if (!isOrderRequest(entry)) return;
        clearTimeout(timer);
        resolve();
      });
    });
    markLog(this.context, LAST_FAULT);
    this.faultEnded();
    this.link.removeToxic(HELD);
    await answered.finally(() => stopListening());
  }

  /** The same, but the broker's acknowledgement of the order uses up a report number and is never sent on the user channel. */
  async releaseHeldRequestsLosingAcknowledgement(): Promise<void> {
    this.context.connection.server.skipNextSequence();
    await this.releaseHeldRequests();
  }

  // ---- someone else on the network ----

  /**
   * Someone who captured the trader's last signed order request on the network sends exactly
   * those bytes to the broker again; the broker's answer is remembered as "the replay".
   */
  async replayOrderRequest(): Promise<ReplayAnswer> {
    const server = this.context.connection.server;
    const captured = server.capturedOrderRequest();
    const lastOrder = this.context.memory.recall('order', LAST_ORDER);
    const capturedOrder = (JSON.parse(captured.body) as { clientOrderId?: string }).clientOrderId;
    if (capturedOrder !== lastOrder) throw new Error(`the captured order request is for ${capturedOrder}, not the last order ${lastOrder}`);
    const answer = await new Promise<ReplayAnswer>((resolve, reject) => {
      const request = http.request(
        { host: '127.0.0.1', port: server.port, path: captured.path, method: 'POST', headers: { 'content-type': 'application/json', ...captured.headers } },
        response => {
          let text = '';
          response.on('data', chunk => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        },
      );
      request.on('error', reject);
      request.end(captured.body);
    });
    return this.context.memory.remember('httpAnswer', 'the replay', answer);
  }
}
