import type { OrderInput, PlaceResult } from '../sut';
import type { ScenarioContext } from './scenario-context';
import type { EventLog } from './event-log';
import type { Market } from './market';
import type { Operator } from './operator';
import type { Trader } from './trader';
import { isOrderRequest } from '../broker-connection';
import { LAST_HEALTH_TEST, type EventOfType, logMark, markLog } from './broker-events';
import { WAIT_MS } from './system-session';
import { LAST_ORDER } from './trader';

/** Whether the system is in degraded mode, and the trading state in force. */
export interface DegradedView {
  /** DegradedModeChanged events since the mark the view is read from. */
  readonly changes: number;
  readonly degraded: boolean;
  readonly tradingState: string | undefined;
}

/**
 * The routes to the broker account: the broker first, then the fallback routes. The system watches
 * each route's health, synchronises with a route before it switches to it, and with no healthy
 * route degrades the trading state until one is healthy again.
 */
export class Routes {
  constructor(
    private readonly context: ScenarioContext,
    private readonly eventLog: EventLog,
    private readonly trader: Trader,
    private readonly market: Market,
    private readonly operator: Operator,
  ) {}

  /** The route orders go through now, every route in fallback order, and whether none is healthy. */
  routing(): ReturnType<ScenarioContext['system']['routing']> {
    return this.context.system.routing();
  }

  /** Another route to the same account; routes are configuration of a start, so the system restarts on its log with it. Returns what the system then knows of its routes. */
  async addFallback(name: string): Promise<ReturnType<ScenarioContext['system']['routing']>> {
    await this.operator.restartWith(() => this.context.addFallbackRoute(name));
    return this.routing();
  }

  // ---- what tests a route's health ----

  /** The same order, one after another: into an outage, each failure counts against the route's health. */
  async placeRepeatedly(order: OrderInput, times: number): Promise<PlaceResult[]> {
    markLog(this.context, LAST_HEALTH_TEST);
    const results: PlaceResult[] = [];
    for (let i = 0; i < times; i += 1) results.push(await this.trader.place(order));
    return results;
  }

  /** The balance reconciled with the broker, one request after another. */
  async reconcileBalanceRepeatedly(times: number): Promise<void> {
    markLog(this.context, LAST_HEALTH_TEST);
    for (let i = 0; i < times; i += 1) await this.context.system.reconcileBalance('scheduled');
  }

  /** Minutes pass in a calm market (every symbol marked again where it stood, so no mark goes stale), then the system checks its brokers. */
  async checkBrokersAfter(minutes: number): Promise<void> {
    markLog(this.context, LAST_HEALTH_TEST);
    await this.market.calm(minutes);
    await this.context.system.checkBrokers();
  }

  // ---- what the system did about it ----

  /** The route marked unhealthy since the last health test. */
  unhealthy(broker: string): Promise<EventOfType<'BrokerHealthChanged'>> {
    return this.eventLog.waitForType('BrokerHealthChanged', this.mark(), e => e.payload.broker === broker && !e.payload.healthy, WAIT_MS.broker);
  }

  /** A failed synchronisation with a route since the last health test, every switch on record, and the route in use. */
  async failedSynchronisation(broker: string): Promise<{ failure: EventOfType<'BrokerSyncFailed'>; switches: number; active: string }> {
    const failure = await this.eventLog.waitForType('BrokerSyncFailed', this.mark(), e => e.payload.broker === broker, WAIT_MS.broker);
    return { failure, switches: this.eventLog.ofType('BrokerSwitched').length, active: this.routing().active };
  }

  /** The switch to a route since the last health test, the synchronisations with it in between, and the route in use. */
  async switchTo(broker: string): Promise<{ synchronisationsBefore: number; active: string }> {
    const mark = this.mark();
    const switched = await this.eventLog.waitForType('BrokerSwitched', mark, e => e.payload.to === broker, WAIT_MS.broker);
    const synchronisations = this.eventLog.ofType('StateSynchronised', mark).filter(e => e.payload.broker === broker && e.seq < switched.seq);
    return { synchronisationsBefore: synchronisations.length, active: this.routing().active };
  }

  /** The broker the last order was submitted to, and how many orders that route's broker accepted. */
  routeOfLastOrder(): { submittedTo: string | undefined; acceptedThere: number } {
    const id = this.context.memory.recall('order', LAST_ORDER);
    const submitted = this.eventLog.forOrder(id).find((e): e is EventOfType<'OrderSubmitted'> => e.type === 'OrderSubmitted');
    const accepted = submitted ? this.context.route(submitted.payload.broker).server.httpLog.filter(r => isOrderRequest(r) && r.status === 200) : [];
    return { submittedTo: submitted?.payload.broker, acceptedThere: accepted.length };
  }

  /** Degraded mode entered since the last health test: the trading state it set, and the one in force. */
  async degraded(): Promise<{ setTo: string; inForce: string | undefined }> {
    const entered = await this.eventLog.waitForType('DegradedModeChanged', this.mark(), e => e.payload.active, WAIT_MS.broker);
    return { setTo: entered.payload.tradingState, inForce: this.tradingState() };
  }

  /** Degraded mode left since the last health test; returns once the route in use has its user channel open again. */
  async outOfDegradedMode(): Promise<{ inForce: string | undefined }> {
    await this.eventLog.waitForType('DegradedModeChanged', this.mark(), e => !e.payload.active, WAIT_MS.broker);
    const inForce = this.tradingState();
    if (this.context.transport === 'wire') await this.channelConnected(this.routing().active);
    return { inForce };
  }

  /** Degraded mode as it stands, with the changes to it since the last health test. */
  sinceLastHealthTest(): DegradedView {
    return this.view(this.mark());
  }

  /** Degraded mode as it stands, with the changes to it since this instance replayed its log. */
  sinceRestart(): DegradedView {
    return this.view(this.context.system.eventsReplayed);
  }

  /** Until the system has recorded a route's user channel as connected (the order after degraded mode needs its reports). */
  private async channelConnected(route: string): Promise<void> {
    const changes = this.eventLog.ofType('BrokerConnectionChanged').filter(e => e.payload.broker === route);
    if (changes[changes.length - 1]?.payload.state === 'connected') return;
    await this.eventLog.waitForType('BrokerConnectionChanged', this.eventLog.mark(), e => e.payload.broker === route && e.payload.state === 'connected', WAIT_MS.broker);
  }

  private view(mark: number): DegradedView {
    return { changes: this.eventLog.ofType('DegradedModeChanged', mark).length, degraded: this.routing().degraded, tradingState: this.tradingState() };
  }

  private tradingState(): string | undefined {
    return this.context.system.state.settings.snapshot().trading_state;
  }

  private mark(): number {
    return logMark(this.context, LAST_HEALTH_TEST);
  }
}
