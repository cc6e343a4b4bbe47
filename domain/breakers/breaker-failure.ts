/** The ways a reset is refused and a response step fails, by name. */
export type BreakerFailure =
  | 'RESET_ROLE_NOT_PERMITTED'
  | 'RESET_REASON_MISSING'
  | 'NOTHING_TO_RESET'
  | 'BREAKER_CONDITION_PERSISTS'
  | 'HEALTH_CHECK_FAILED'
  | 'CANCEL_FAILED'
  | 'KILL_SWITCH_FAILED'
  | 'LIQUIDATION_REFUSED'
  | 'LIQUIDATION_BOOK_EXHAUSTED'
  | 'BREAKER_METRIC_FAILED';

/** Each failure in a risk officer's words, one line each, for the report's glossary. */
export const BREAKER_FAILURE_MEANINGS: Readonly<Record<BreakerFailure, string>> = {
  RESET_ROLE_NOT_PERMITTED: 'The reset was asked for by someone who is not a risk officer; only a risk officer may reset a circuit breaker.',
  RESET_REASON_MISSING: 'The reset was asked for without a reason; every reset needs one for the audit trail.',
  NOTHING_TO_RESET: 'No circuit breaker (or not the one named) has tripped, so there is nothing to reset.',
  BREAKER_CONDITION_PERSISTS: 'A circuit breaker still reads critical: trading does not resume while the figure is beyond its limit.',
  HEALTH_CHECK_FAILED: 'The health check before trading resumes failed: the broker, the market data or the reconciliation is not in order.',
  CANCEL_FAILED: 'A working order the breaker cancelled was not confirmed cancelled by the broker.',
  KILL_SWITCH_FAILED: 'The broker did not confirm the kill switch: its cancel of every open order is not known to have happened.',
  LIQUIDATION_REFUSED: 'A reduce-only order to cut a breaching position was refused, so the position was not reduced further.',
  LIQUIDATION_BOOK_EXHAUSTED: 'The order book took no more of the liquidation (or could not be read); the quantity still to trade is reported.',
  BREAKER_METRIC_FAILED: "A breaker's figure could not be worked out; the breaker reads nothing until it can, and the failure is logged.",
};
