import { TradingError, describeError } from '../shared/errors';
import { StoredEvent } from '../state/events';
import { TradingLedger } from '../state/ledger';
import { Telemetry } from '../telemetry/telemetry';

export interface ErrorPathStep {
  readonly layer: string;
  readonly saw: string;
}

/** The innermost typed error of a chain: where the broker error was born (a socket or parse error beneath it is its cause). */
export function rootError(error: unknown): unknown {
  let current = error;
  while (current instanceof Error && current.cause instanceof TradingError) current = current.cause;
  return current;
}

/** What the broker gateway saw, in a person's words: the HTTP status and reason code, or the network failure. */
export function gatewayView(error: unknown): string {
  const root = rootError(error);
  if (!(root instanceof TradingError)) return describeError(root).message;
  const d = root.details;
  const parts: string[] = [root.kind];
  if (typeof d.httpStatus === 'number') parts.push(`HTTP ${d.httpStatus}`);
  if (typeof d.reasonCode === 'string') parts.push(d.reasonCode);
  if (typeof d.retryAfterMs === 'number') parts.push(`retry after ${d.retryAfterMs / 1000} s`);
  if (typeof d.remainingQuota === 'number') parts.push(`${d.remainingQuota} requests left`);
  if (d.requestSent === true) parts.push('request sent, outcome unknown');
  if (d.requestSent === false) parts.push('request never reached the broker');
  return parts.join(', ');
}

/**
 * One place where broker errors become events and counters, so the two always agree: each
 * `BrokerErrorRecorded` event increments `broker.errors.<kind>` once, and the event carries the
 * path the error took, layer by layer, from the gateway out.
 */
export class BrokerErrorLog {
  constructor(private readonly ledger: TradingLedger, private readonly telemetry: Telemetry) {}

  record(error: unknown, context: { broker: string; operation: string; clientOrderId?: string; path: readonly ErrorPathStep[] }): StoredEvent {
    const root = rootError(error);
    const kind = root instanceof TradingError ? root.kind : describeError(root).kind;
    const details = root instanceof TradingError ? root.details : {};
    this.telemetry.increment(`broker.errors.${kind}`);
    return this.ledger.record({
      type: 'BrokerErrorRecorded',
      payload: {
        broker: context.broker,
        operation: context.operation,
        errorKind: kind,
        ...(typeof details.reasonCode === 'string' ? { reasonCode: details.reasonCode } : {}),
        ...(typeof details.httpStatus === 'number' ? { httpStatus: details.httpStatus } : {}),
        ...(context.clientOrderId ? { clientOrderId: context.clientOrderId } : {}),
        reason: describeError(error).message,
        causeChain: error instanceof TradingError ? error.causeChain() : [kind],
        path: [{ layer: 'broker gateway', saw: gatewayView(error) }, ...context.path],
      },
    });
  }
}
