/** The standard denial codes of the pre-trade checks: one per way an order can fail a check. */
export type RejectionCode =
  | 'INSTRUMENT_NOT_FOUND'
  | 'INSTRUMENT_NOT_TRADABLE'
  | 'MARK_PRICE_UNAVAILABLE'
  | 'MARK_PRICE_STALE'
  | 'TRADING_HALTED'
  | 'TRADING_STATE_REDUCING'
  | 'REDUCE_ONLY_WOULD_INCREASE_POSITION'
  | 'DAILY_LOSS_LIMIT_REACHED'
  | 'QUANTITY_EXCEEDS_MAXIMUM'
  | 'NOTIONAL_EXCEEDS_MAX_PER_ORDER'
  | 'PRICE_OUTSIDE_COLLAR'
  | 'POSITION_LIMIT_EXCEEDED'
  | 'LEVERAGE_EXCEEDS_MAXIMUM'
  | 'GROSS_EXPOSURE_EXCEEDS_CAP'
  | 'NET_EXPOSURE_EXCEEDS_CAP'
  | 'CORRELATED_EXPOSURE_EXCEEDS_CAP';

/** What each denial code means, in a risk officer's words, for the glossary of a report. */
export const REJECTION_CODE_MEANINGS: Readonly<Record<RejectionCode, string>> = {
  INSTRUMENT_NOT_FOUND: 'The symbol is not a listed instrument.',
  INSTRUMENT_NOT_TRADABLE: 'The instrument is listed but trading in it is disabled.',
  MARK_PRICE_UNAVAILABLE: 'There is no mark price to value the order at.',
  MARK_PRICE_STALE: 'The mark price is older than allowed: too old for an order that adds risk, or twice too old for any order.',
  TRADING_HALTED: 'Trading is halted: no new order passes.',
  TRADING_STATE_REDUCING: 'Trading is reduce-only and the order would increase exposure.',
  REDUCE_ONLY_WOULD_INCREASE_POSITION: 'The order is marked reduce-only but would increase the position.',
  DAILY_LOSS_LIMIT_REACHED: 'Today\'s loss has reached the daily loss limit; only orders that reduce risk pass.',
  QUANTITY_EXCEEDS_MAXIMUM: 'The order is larger than the maximum quantity per order for the instrument.',
  NOTIONAL_EXCEEDS_MAX_PER_ORDER: 'The order\'s notional is above the maximum per order.',
  PRICE_OUTSIDE_COLLAR: 'The limit price is further from the mark price than the price collar allows.',
  POSITION_LIMIT_EXCEEDED: 'The order would take the position in the instrument above its limit.',
  LEVERAGE_EXCEEDS_MAXIMUM: 'The order would take leverage (gross exposure over equity) above the maximum.',
  GROSS_EXPOSURE_EXCEEDS_CAP: 'The order would take gross exposure, as a share of equity, above its cap.',
  NET_EXPOSURE_EXCEEDS_CAP: 'The order would take net exposure, as a share of equity, above its cap.',
  CORRELATED_EXPOSURE_EXCEEDS_CAP: 'The order would take exposure to correlated instruments, as a share of equity, above its cap.',
};
