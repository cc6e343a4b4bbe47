import type { BrokerServer } from '../simulators/broker';
import { SUITE_CLIENT_TIMINGS } from '../broker-connection';
import { Decimal } from '../sut';
import type { ScenarioContext } from './scenario-context';
import type { EventLog } from './event-log';
import { LAST_FAULT, type EventOfType, logMark, markLog } from './broker-events';
import { WAIT_MS } from './system-session';
import { LAST_ORDER, WORKING_ORDER } from './trader';

type Anomaly = EventOfType<'BrokerSequenceAnomaly'>['payload']['anomaly'];
/** A state of the user channel, as the system records it. */
export type ChannelState = EventOfType<'BrokerConnectionChanged'>['payload']['state'];

/** Where the books stood before a bad message was sent, to compare with after it was refused. */
const BEFORE_THE_BAD_MESSAGE = 'before the bad message';

/** Messages the broker should never send, by the words the Gherkin names them with. */
const BAD_MESSAGES: Readonly<Record<string, (channel: UserChannel) => string | null>> = {
  'malformed JSON': () => '{"type":"report","seq":',
  'a fill whose quantity is a number': channel => channel.badFill({ quantity: 1 }),
  'a fill with a negative price': channel => channel.badFill({ price: '-50000' }),
  'an oversized frame': () => JSON.stringify({ type: 'heartbeat', counter: 1, at: 'x', padding: 'x'.repeat(70_000) }),
  'a fill for an order the system never sent': () => null,
};

/** The books before a bad message was sent, and once the system has dealt with its refusal. */
export interface BooksAfterRefusal {
  readonly before: { readonly position: string; readonly cash: string };
  readonly now: { readonly position: string; readonly cash: string };
  readonly brokerCash: string;
}

/**
 * The broker's user channel, from both ends: what the broker sends on it (reports, heartbeats, the
 * faults a scenario scripts) and what the trading system recorded about it (losses, reconnects,
 * sequence anomalies, refused messages). Faults mark the log; what the system did is read from the mark.
 */
export class UserChannel {
  /** The names of the bad messages a scenario can have the broker send. */
  static readonly badMessages: readonly string[] = Object.keys(BAD_MESSAGES);

  constructor(
    private readonly context: ScenarioContext,
    private readonly eventLog: EventLog,
  ) {}

  private get server(): BrokerServer {
    return this.context.connection.server;
  }

  // ---- what the broker does on the channel ----

  /** Every user channel is dropped without a close frame. */
  cut(): void {
    markLog(this.context, LAST_FAULT);
    this.server.dropUserChannels();
  }

  /** No heartbeats until the system declares the channel dead; then they come again. */
  async silenceHeartbeatsUntilDeclaredDead(): Promise<void> {
    const mark = markLog(this.context, LAST_FAULT);
    this.server.stopHeartbeats();
    // The system can only wait out its liveness timeout: that time passes on the route's transport time at once.
    const endLapse = this.context.connection.transportTime.lapse(SUITE_CLIENT_TIMINGS.livenessTimeoutMs);
    await this.eventLog.waitForType('BrokerConnectionChanged', mark, e => e.payload.state === 'lost', WAIT_MS.broker).finally(endLapse);
    this.server.resumeHeartbeats();
  }

  /** A broker process restart: same books and port, a new session numbered from 1. Returns once the user channel is back and the system has caught up with the broker. */
  async brokerRestarts(): Promise<void> {
    const mark = markLog(this.context, LAST_FAULT);
    await this.server.restart();
    const connected = await this.eventLog.waitForType('BrokerConnectionChanged', mark, e => this.isOwn(e) && e.payload.state === 'connected', WAIT_MS.broker);
    await this.eventLog.waitForType('StateSynchronised', connected.seq, undefined, WAIT_MS.broker);
  }

  /** An order update sent again under its old number: the last one (back 0) or one before it. */
  resendUpdate(back: number): void {
    markLog(this.context, LAST_FAULT);
    this.server.resendOldFrame(back);
  }

  garbleNextReport(): void {
    markLog(this.context, LAST_FAULT);
    this.server.garbleNextReport();
  }

  /** The market trades against the order; the report of it uses up a number but is never sent. */
  tradeWithReportSkipped(symbol: string, quantity: Decimal): void {
    markLog(this.context, LAST_FAULT);
    this.server.skipNextSequence();
    this.trade(symbol, quantity);
  }

  /** The market trades against the order; its report goes out under the number of the last one. */
  tradeWithReportReusingSequence(symbol: string, quantity: Decimal): void {
    markLog(this.context, LAST_FAULT);
    this.server.reuseSequenceForNextReport();
    this.trade(symbol, quantity);
  }

  /** A heartbeat naming a report number the broker never sent. */
  sendHeartbeatNaming(seq: number): void {
    markLog(this.context, LAST_FAULT);
    this.server.sendForgedHeartbeat(seq);
  }

  /** Once every fill is reconciled, the books are remembered and the broker sends a message by the Gherkin's name for it. */
  async sendBadMessage(name: string): Promise<void> {
    const compose = BAD_MESSAGES[name];
    if (!compose) throw new Error(`no bad message "${name}"; known: ${UserChannel.badMessages.join('; ')}`);
    await this.eventLog.reconciliationsSettled();
    markLog(this.context, LAST_FAULT);
    this.context.memory.remember('cashAndPositions', BEFORE_THE_BAD_MESSAGE, this.books());
    const frame = compose(this);
    if (frame === null) this.server.sendForgedFill(this.fillForAnOrderNeverSent());
    else this.server.sendRawFrame(frame);
  }

  // ---- what the system recorded about the channel ----

  /** The channel was lost after the last fault and connected again after that: the states the system recorded for it from the fault to the reconnect, oldest first. */
  async lostAndReconnected(): Promise<ChannelState[]> {
    const mark = logMark(this.context, LAST_FAULT);
    const lost = await this.eventLog.waitForType('BrokerConnectionChanged', mark, e => this.isOwn(e) && e.payload.state === 'lost', WAIT_MS.broker);
    const connected = await this.eventLog.waitForType('BrokerConnectionChanged', lost.seq, e => this.isOwn(e) && e.payload.state === 'connected', WAIT_MS.broker);
    return this.statesSince(mark).filter(e => e.seq <= connected.seq).map(e => e.payload.state);
  }

  /** Once the channel has connected after the last fault: the states the system recorded for it since the fault, oldest first, up to now. */
  async connectedAfterLastFault(): Promise<ChannelState[]> {
    const mark = logMark(this.context, LAST_FAULT);
    await this.eventLog.waitForType('BrokerConnectionChanged', mark, e => this.isOwn(e) && e.payload.state === 'connected', WAIT_MS.broker);
    return this.statesSince(mark).map(e => e.payload.state);
  }

  /** The first sequence anomaly of a kind after the last fault. */
  anomaly(kind: Anomaly): Promise<EventOfType<'BrokerSequenceAnomaly'>> {
    return this.eventLog.waitForType('BrokerSequenceAnomaly', logMark(this.context, LAST_FAULT), e => e.payload.anomaly === kind, WAIT_MS.broker);
  }

  /** An anomaly after the last fault, and the resynchronisation it set off. */
  async anomalyAndResynchronisation(kind: Anomaly, trigger: string): Promise<{ anomaly: EventOfType<'BrokerSequenceAnomaly'>; sync: EventOfType<'StateSynchronised'> }> {
    const anomaly = await this.anomaly(kind);
    const sync = await this.eventLog.waitForType('StateSynchronised', anomaly.seq, e => e.payload.trigger === trigger, WAIT_MS.broker);
    return { anomaly, sync };
  }

  /** Fills refused since the last fault. */
  fillsRefused(): EventOfType<'FillRejected'>[] {
    return this.eventLog.ofType('FillRejected', logMark(this.context, LAST_FAULT));
  }

  /** The number of the last report the system's end of the channel took (the log does not record report numbers: the system says). */
  lastReportSequence(): number {
    return this.context.system.lastReportSequence(this.context.connection.name);
  }

  /** The session change after the last fault and the session the broker names now; returns once the resynchronisation it set off is on record. */
  async newSession(): Promise<{ previous: string; joined: string; brokerSession: string }> {
    const changed = await this.eventLog.waitForType('BrokerSessionChanged', logMark(this.context, LAST_FAULT), undefined, WAIT_MS.broker);
    await this.eventLog.waitForType('StateSynchronised', changed.seq, e => e.payload.trigger === 'new broker session', WAIT_MS.broker);
    return { previous: changed.payload.previousSession, joined: changed.payload.session, brokerSession: this.server.session };
  }

  /** The first message or fill refused with this kind after the last fault. */
  async refusal(kind: string): Promise<EventOfType<'BrokerMessageRejected'> | EventOfType<'FillRejected'>> {
    return (await this.context.session.forEvent(
      `a refused message of kind ${kind}`,
      e => (e.type === 'BrokerMessageRejected' || e.type === 'FillRejected') && e.payload.errorKind === kind,
      logMark(this.context, LAST_FAULT),
      WAIT_MS.broker,
    )) as EventOfType<'BrokerMessageRejected'> | EventOfType<'FillRejected'>;
  }

  /**
   * Once what the system does about the refused message is over (a message it could not read sets
   * off a resynchronisation; a fill it refused sets off nothing), the books then and before it.
   */
  async booksAfterRefusal(symbol: string): Promise<BooksAfterRefusal> {
    const mark = logMark(this.context, LAST_FAULT);
    const refused = await this.context.session.forEvent('the bad message to be refused', e => e.type === 'BrokerMessageRejected' || e.type === 'FillRejected', mark, WAIT_MS.broker);
    if (refused.type === 'BrokerMessageRejected') {
      // The resynchronisation it sets off may join one already running: the end of whichever runs.
      await this.context.session.forEvent(
        'the resynchronisation the refused message set off to end',
        e => e.type === 'StateSynchronised' || e.type === 'BrokerSyncFailed',
        refused.seq,
        WAIT_MS.broker,
      );
    }
    const before = this.context.memory.recall('cashAndPositions', BEFORE_THE_BAD_MESSAGE);
    const now = this.books();
    return {
      before: { position: before.positions[symbol] ?? '0', cash: before.cash },
      now: { position: now.positions[symbol] ?? '0', cash: now.cash },
      brokerCash: this.context.broker.balance().cash.toString(),
    };
  }

  // ---- helpers ----

  /** Whether a change of channel state is of this channel (the broker's, not a fallback route's). */
  private isOwn(event: EventOfType<'BrokerConnectionChanged'>): boolean {
    return event.payload.broker === this.context.connection.name;
  }

  private statesSince(mark: number): EventOfType<'BrokerConnectionChanged'>[] {
    return this.eventLog.ofType('BrokerConnectionChanged', mark).filter(e => this.isOwn(e));
  }

  private trade(symbol: string, quantity: Decimal): void {
    const id = this.context.memory.recall('order', WORKING_ORDER);
    const order = this.context.system.state.order(id);
    if (order.symbol !== symbol) throw new Error(`the working order is for ${order.symbol}, not ${symbol}`);
    this.context.broker.tradeAgainst(id, quantity);
  }

  /** Net quantity by symbol and the cash, as the system knows them now. */
  private books(): { positions: Record<string, string>; cash: string } {
    const state = this.context.system.state;
    const positions: Record<string, string> = {};
    for (const [symbol, position] of state.positions) positions[symbol] = position.netQuantity.toString();
    return { positions, cash: state.account().cash.toString() };
  }

  /** A report of a fill for the last order, with one field made wrong. */
  badFill(override: Readonly<Record<string, unknown>>): string {
    const order = this.context.system.state.order(this.context.memory.recall('order', LAST_ORDER));
    const report = {
      type: 'fill',
      clientOrderId: order.clientOrderId,
      brokerOrderId: order.brokerOrderId,
      tradeId: 'SIM-T900',
      symbol: order.symbol,
      side: 'buy',
      quantity: '0.1',
      price: '50000',
      fee: '0',
      liquidity: 'taker',
      at: this.context.clock.now().toISOString(),
      ...override,
    };
    return JSON.stringify({ type: 'report', seq: 10_000, report });
  }

  private fillForAnOrderNeverSent(): Parameters<BrokerServer['sendForgedFill']>[0] {
    return {
      type: 'fill',
      clientOrderId: 'NEVER-SENT-1',
      brokerOrderId: 'SIM-999',
      tradeId: 'SIM-T999',
      symbol: 'BTC-PERP',
      side: 'buy',
      quantity: new Decimal('0.5'),
      price: new Decimal('50000'),
      fee: new Decimal(0),
      liquidity: 'taker',
      at: this.context.clock.now().toISOString(),
    };
  }
}
