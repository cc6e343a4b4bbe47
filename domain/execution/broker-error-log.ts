import { ERROR_LAYERS, ErrorLayer, TradingError, describeError } from '../shared';
import { StoredEvent, TradingLedger } from '../state';
import { Telemetry } from '../telemetry';

export interface ErrorPathStep {
  readonly layer: ErrorLayer;
  readonly saw: string;
}

/** What each layer saw of a broker error and did about it, in a person's words. */
export type LayerAccounts = Readonly<Partial<Record<ErrorLayer, string>>>;

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
 * The way a broker error took, from the gateway out: the broker gateway's view of it, then the
 * layers the error itself says it passed (innermost first), then the layers that acted on it
 * without passing it on (the one that records it, the risk manager). Each says what it saw.
 */
export function errorPath(error: unknown, saw: LayerAccounts): ErrorPathStep[] {
  const passed = error instanceof TradingError ? error.layers().reverse().filter(layer => layer !== 'broker gateway') : [];
  const actedOn = ERROR_LAYERS.flatMap(layer => {
    const account = saw[layer];
    return layer !== 'broker gateway' && !passed.includes(layer) && account !== undefined ? [{ layer, saw: account }] : [];
  });
  return [{ layer: 'broker gateway', saw: gatewayView(error) }, ...passed.map(layer => ({ layer, saw: saw[layer] ?? 'passed it on' })), ...actedOn];
}

export interface BrokerErrorLogPorts {
  readonly ledger: TradingLedger;
  readonly telemetry: Telemetry;
}

/** Where a broker error was met, and what each layer saw of it. */
export interface BrokerErrorContext {
  readonly broker: string;
  readonly operation: string;
  readonly clientOrderId?: string;
  readonly saw: LayerAccounts;
}

/**
 * One place where broker errors become events and counters, so the two always agree: each
 * `BrokerErrorRecorded` event increments `broker.errors.<kind>` once, and the event carries the
 * path the error took, layer by layer, from the gateway out, built from the error's own record.
 */
export class BrokerErrorLog {
  constructor(private readonly ports: BrokerErrorLogPorts) {}

  record(error: unknown, context: BrokerErrorContext): StoredEvent {
    const root = rootError(error);
    const kind = root instanceof TradingError ? root.kind : describeError(root).kind;
    const details = root instanceof TradingError ? root.details : {};
    this.ports.telemetry.increment(`broker.errors.${kind}`);
    return this.ports.ledger.record({
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
        path: errorPath(error, context.saw),
      },
    });
  }
}
