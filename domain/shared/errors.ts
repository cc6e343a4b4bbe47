import { InvalidNumberError } from './decimal';

/** Every failure the system can report, by name, so a grep and a scenario find it. */
export type ErrorKind =
  | 'InvalidInput'
  | 'InvalidNumber'
  | 'UnknownInstrument'
  | 'IllegalTransition'
  | 'DuplicateClientOrderId'
  | 'UnknownOrder'
  | 'RiskRejected'
  | 'BrokerRejected'
  | 'BrokerUnavailable'
  | 'RateLimited'
  | 'Unauthorized'
  | 'Timeout'
  | 'ProtocolError'
  | 'Overfill'
  | 'DuplicateFill'
  | 'InvalidSettings'
  | 'UnknownBreaker'
  | 'InvalidBreaker'
  | 'EventStoreCorrupted'
  | 'EventStoreClosed'
  | 'NotPermitted'
  | 'UnknownReconciliationItem'
  | 'Unexpected';

/** What each kind of failure means, in the words a risk officer reads in a report's glossary. */
export const ERROR_KIND_MEANINGS: Readonly<Record<ErrorKind, string>> = {
  InvalidInput: 'The request was malformed or incomplete; it was refused before it changed anything.',
  InvalidNumber: 'A price, quantity or amount was not a valid decimal number; nothing was changed.',
  UnknownInstrument: 'The symbol is not an instrument the system trades.',
  IllegalTransition: 'The order is in a state that does not allow this step (for example, cancelling a filled order).',
  DuplicateClientOrderId: 'The client order id is already in use; placing it again never creates a second order.',
  UnknownOrder: 'No order with that id is known, here or at the broker.',
  RiskRejected: 'A pre-trade risk check refused the order or the change; nothing reached the broker.',
  BrokerRejected: 'The broker refused the request and did not take it.',
  BrokerUnavailable: 'The broker could not be reached, or answered that it cannot serve requests now.',
  RateLimited: 'The broker refused the request because too many were sent; it did not take it.',
  Unauthorized: 'The broker refused the request\'s credentials or signature; it did not take it.',
  Timeout: 'No answer came in time; the broker may or may not have carried the request out.',
  ProtocolError: 'The broker\'s answer could not be read or did not make sense; what it did is checked again.',
  Overfill: 'A fill would take the order past its quantity; it was refused, not applied.',
  DuplicateFill: 'A fill with this trade id was already applied; the repeat was refused.',
  InvalidSettings: 'A settings change was refused as a whole; the limits in force stayed as they were.',
  UnknownBreaker: 'No circuit breaker by that name is registered.',
  InvalidBreaker: 'A circuit breaker definition was refused: a bad name, level or order of levels.',
  EventStoreCorrupted: 'The event log failed its integrity check; the system will not trade on it.',
  EventStoreClosed: 'The event log is closed; nothing more can be recorded.',
  NotPermitted: 'The person asking does not hold the role the action needs; it was refused and the refusal recorded.',
  UnknownReconciliationItem: 'No open item of the reconciliation queue has that id (it was never opened, or it is already resolved).',
  Unexpected: 'A failure the system has no name for (a defect, or an error from a library); its original name is in the message.',
};

/** The layers an error is raised in, passed on by or acted on by, as the event log names them: from the wire in, then the services that meet broker errors. */
export const ERROR_LAYERS = [
  'broker gateway',
  'execution engine',
  'execution coordinator',
  'risk manager',
  'position reconciler',
  'balance reconciliation',
  'trading system',
  'circuit breaker',
  'circuit breaker health check',
  'reconciliation',
] as const;

export type ErrorLayer = (typeof ERROR_LAYERS)[number];

/** How a layer names itself at the front of a message it passes on; people read these, code reads `layer`. */
const MESSAGE_LABEL: Partial<Record<ErrorLayer, string>> = { 'execution coordinator': 'coordinator' };

export class TradingError extends Error {
  /** The layer that raised this error or passed it on (wrapping its cause), where it says so. */
  readonly layer?: ErrorLayer;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown; layer?: ErrorLayer },
  ) {
    super(message, options);
    this.name = `${kind}Error`;
    if (options?.layer !== undefined) this.layer = options.layer;
  }

  /** The chain of kinds from this error down to its root cause, for asserting where an error came from. */
  causeChain(): string[] {
    const chain: string[] = [];
    let current: unknown = this;
    while (current instanceof Error) {
      chain.push(current instanceof TradingError ? current.kind : current.name);
      current = current.cause;
    }
    return chain;
  }

  /** The layers this error passed on its way out, outermost first: the last is where it came from. */
  layers(): ErrorLayer[] {
    const layers: ErrorLayer[] = [];
    for (let current: unknown = this; current instanceof Error; current = current.cause) {
      if (current instanceof TradingError && current.layer !== undefined) layers.push(current.layer);
    }
    return layers;
  }

  /** The innermost layer on record: where the error came from. */
  origin(): ErrorLayer | undefined {
    const layers = this.layers();
    return layers[layers.length - 1];
  }
}

/** Wrap a lower layer's error as it crosses this layer: same kind and details, the cause kept, the layer on record. */
export function asTradingError(error: unknown, layer: ErrorLayer): TradingError {
  const label = MESSAGE_LABEL[layer] ?? layer;
  if (error instanceof TradingError) return new TradingError(error.kind, `${label}: ${error.message}`, error.details, { cause: error, layer });
  const { message } = describeError(error);
  return new TradingError('BrokerUnavailable', `${label}: ${message}`, {}, { cause: error, layer });
}

/** An error a layer lets out as it was raised there, now saying so; one that names its layer already is returned as it is. */
export function raisedIn(error: unknown, layer: ErrorLayer): unknown {
  if (!(error instanceof TradingError) || error.layer !== undefined) return error;
  const stamped = new TradingError(error.kind, error.message, error.details, { ...(error.cause !== undefined ? { cause: error.cause } : {}), layer });
  if (error.stack !== undefined) stamped.stack = error.stack;
  return stamped;
}

export function describeError(error: unknown): { kind: ErrorKind; message: string } {
  if (error instanceof TradingError) return { kind: error.kind, message: error.message };
  if (error instanceof InvalidNumberError) return { kind: error.kind, message: error.message };
  // A plain Error's name says nothing; any other (TypeError, AbortError, ...) is kept, since the kind no longer carries it.
  if (error instanceof Error) return { kind: 'Unexpected', message: error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message };
  return { kind: 'Unexpected', message: String(error) };
}
