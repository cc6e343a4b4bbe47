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
  | 'EventStoreClosed';

export class TradingError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = `${kind}Error`;
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
}

export function describeError(error: unknown): { kind: string; message: string } {
  if (error instanceof TradingError) return { kind: error.kind, message: error.message };
  if (error instanceof Error) return { kind: error.name, message: error.message };
  return { kind: 'Unknown', message: String(error) };
}
