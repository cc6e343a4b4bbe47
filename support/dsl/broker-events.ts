import type { EventOf, EventType, StoredEvent } from '../sut';
import type { ScenarioContext } from './scenario-context';
import { LAST_ORDER, WORKING_ORDER } from './trader';

/** Where the log stood when the scenario last disturbed the broker, its user channel or the network: what the system did about it is read from there. */
export const LAST_FAULT = 'the last fault';

/** Where the log stood before the last requests or checks that put a broker's health to the test (orders sent into an outage, a round of broker checks). */
export const LAST_HEALTH_TEST = 'the last test of broker health';

export type EventOfType<T extends EventType> = StoredEvent & EventOf<T>;

/** Remember where the log ends now, under a name a Then reads it by. */
export function markLog(context: ScenarioContext, name: string): number {
  return context.memory.remember('logMark', name, context.system.events.mark());
}

export function logMark(context: ScenarioContext, name: string): number {
  return context.memory.recall('logMark', name);
}

/** "The order" a trade is made against: the working order where there is one, else the last order placed. */
export function theOrder(context: ScenarioContext): string {
  const { memory } = context;
  return memory.has('order', WORKING_ORDER) ? memory.recall('order', WORKING_ORDER) : memory.recall('order', LAST_ORDER);
}
