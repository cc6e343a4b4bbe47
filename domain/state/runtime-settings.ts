import { Decimal, InvalidNumberError, parseDecimal, TradingError, formatAmount } from '../shared';
import { CLASS_POLICIES, DEFAULT_POLICY_SETTINGS, classOfPolicyKey, policySettingKey, DISCREPANCY_CLASSES } from '../reconciliation/discrepancy';

export type TradingState = 'ACTIVE' | 'REDUCE_ONLY' | 'HALTED';
const TRADING_STATES: readonly TradingState[] = ['ACTIVE', 'REDUCE_ONLY', 'HALTED'];

export function isTradingState(value: unknown): value is TradingState {
  return TRADING_STATES.includes(value as TradingState);
}

/** What a halt does to the orders working in the halted symbols: they wait for the reopening, or are cancelled. */
const STATE_RANK: Readonly<Record<TradingState, number>> = { ACTIVE: 0, REDUCE_ONLY: 1, HALTED: 2 };

/** The stricter of two trading states: two restrictions at once leave the stricter one in force. */
export function stricterTradingState(a: TradingState, b: TradingState): TradingState {
  return STATE_RANK[a] >= STATE_RANK[b] ? a : b;
}

export type HaltOrderPolicy = 'hold' | 'cancel';
const HALT_ORDER_POLICIES: readonly HaltOrderPolicy[] = ['hold', 'cancel'];

export function isHaltOrderPolicy(value: unknown): value is HaltOrderPolicy {
  return HALT_ORDER_POLICIES.includes(value as HaltOrderPolicy);
}

/** The risk limits in force, typed. Percentages are fractions here (0.8 = 80 %). */
export interface RiskLimits {
  readonly maxLeverage: Decimal;
  readonly maxOrderNotional: Decimal;
  readonly maxOrderQuantity: ReadonlyMap<string, Decimal>;
  readonly maxPositionShare: Decimal;
  readonly maxPositionNotional: ReadonlyMap<string, Decimal>;
  readonly maxGrossExposureShare: Decimal;
  readonly maxNetExposureShare: Decimal;
  readonly maxCorrelatedExposureShare: Decimal;
  readonly dailyLossLimitShare: Decimal;
  readonly dailyLossLimitAmount: Decimal | null;
  readonly priceCollarShare: Decimal;
  readonly tradingState: TradingState;
  readonly markStalenessSeconds: Decimal;
  /** Symbols an operator has switched off for trading. */
  readonly disabledSymbols: ReadonlySet<string>;
  readonly correlations: ReadonlyMap<string, Decimal>;
  /** Market conditions (plan 4.4): no new intraday risk this long before the regular close. */
  readonly closePreparationMinutes: Decimal;
  readonly maxSpreadBps: Decimal;
  /** The largest share of the visible depth on the side an order takes (0.25 = 25 %). */
  readonly maxDepthShare: Decimal;
  readonly slippageGuardBps: Decimal;
  /** Y of the square-root impact model. */
  readonly impactCoefficient: Decimal;
  /** Annualised volatility (fractions) at which the regime is elevated, and stress. */
  readonly regimeElevatedVolatility: Decimal;
  readonly regimeStressVolatility: Decimal;
  /** What the max leverage and max order notional are multiplied by in each regime. */
  readonly regimeElevatedLimitFactor: Decimal;
  readonly regimeStressLimitFactor: Decimal;
  readonly haltOrderPolicy: HaltOrderPolicy;
}

/**
 * Settings are a flat map of names to decimal strings, as an operator edits them and as the report
 * shows them. Defaults follow the reference figures (REFERENCE.md).
 */
export const DEFAULT_SETTINGS: Readonly<Record<string, string>> = {
  max_leverage: '5',
  max_order_notional: '100000',
  max_position_pct: '20',
  max_gross_exposure_pct: '80',
  max_net_exposure_pct: '80',
  max_correlated_exposure_pct: '80',
  daily_loss_limit_pct: '5',
  price_collar_pct: '5',
  mark_staleness_seconds: '30',
  trading_state: 'ACTIVE',
  // Circuit breakers (domain/breakers): warning and critical levels, the response and the way back.
  daily_loss_warning_pct: '4',
  liquidation_buffer_warning_pct: '20',
  liquidation_buffer_critical_pct: '15',
  position_leverage: '5',
  volatility_window_returns: '20',
  volatility_min_returns: '10',
  volatility_warning_pct: '15',
  volatility_critical_pct: '20',
  volatility_halt_pct: '25',
  price_move_warning_pct: '3',
  price_move_critical_pct: '5',
  price_move_window_seconds: '60',
  correlated_exposure_warning_pct: '80',
  correlated_exposure_critical_pct: '100',
  correlation_jump_warning: '0.2',
  correlation_jump_critical: '0.3',
  correlation_jump_window_minutes: '60',
  position_size_warning_pct: '20',
  position_size_critical_pct: '25',
  total_position_warning_pct: '80',
  total_position_critical_pct: '100',
  breaker_trip_max_leverage: '2',
  breaker_cooldown_minutes: '30',
  restore_step_minutes: '15',
  degraded_trading_state: 'REDUCE_ONLY',
  // The broker takes a signed request only this long after its timestamp (REFERENCE.md: at most 60 s).
  broker_receive_window_ms: '60000',
  // How far the broker's clock may run behind ours: an unknown order is given up only after the window plus this.
  broker_clock_tolerance_ms: '1000',
  // Market conditions (plan 4.4): the close, liquidity, impact, the volatility regime and halts.
  close_preparation_minutes: '10',
  max_spread_bps: '50',
  max_depth_share_pct: '25',
  slippage_guard_bps: '50',
  impact_coefficient: '1',
  regime_elevated_volatility_pct: '30',
  regime_stress_volatility_pct: '50',
  regime_elevated_limit_factor: '0.75',
  regime_stress_limit_factor: '0.5',
  halt_order_policy: 'hold',
  // Reconciliation (plan 4.5): the schedule, retries, tolerances, what trading the manual queue allows, and a policy per class of discrepancy.
  reconciliation_interval_seconds: '300',
  reconciliation_retry_attempts: '3',
  reconciliation_retry_base_ms: '200',
  reconciliation_incomplete_alert_after: '3',
  reconciliation_unknown_order_misses: '3',
  reconciliation_cash_tolerance: '0.01',
  reconciliation_queue_trading_state: 'REDUCE_ONLY',
  broker_clock_offset_alert_ms: '5000',
  fill_receipt_tolerance_ms: '2000',
  ...DEFAULT_POLICY_SETTINGS,
};

/** Human names for the report and for Gherkin tables. */
export const SETTING_LABELS: Readonly<Record<string, string>> = {
  max_leverage: 'max leverage (x)',
  max_order_notional: 'max order notional (USD)',
  max_position_pct: 'max position per symbol (% of equity)',
  max_gross_exposure_pct: 'max gross exposure (% of equity)',
  max_net_exposure_pct: 'max net exposure (% of equity)',
  max_correlated_exposure_pct: 'max correlated exposure (% of equity)',
  daily_loss_limit_pct: 'daily loss limit (% of start-of-day equity)',
  daily_loss_limit_amount: 'daily loss limit (USD)',
  price_collar_pct: 'price collar (% from mark)',
  mark_staleness_seconds: 'mark price staleness (s)',
  trading_state: 'trading state',
  daily_loss_warning_pct: 'daily loss warning (% of start-of-day equity)',
  liquidation_buffer_warning_pct: 'liquidation buffer warning (% of mark)',
  liquidation_buffer_critical_pct: 'min liquidation buffer (% of mark)',
  position_leverage: 'leverage of a position at the venue (x)',
  volatility_window_returns: 'volatility window (one-minute returns)',
  volatility_min_returns: 'volatility needs at least (one-minute returns)',
  volatility_warning_pct: 'volatility warning (% annualised)',
  volatility_critical_pct: 'volatility reduce-only (% annualised)',
  volatility_halt_pct: 'volatility halt (% annualised)',
  price_move_warning_pct: 'price move warning (%)',
  price_move_critical_pct: 'price move critical (%)',
  price_move_window_seconds: 'price move window (s)',
  correlated_exposure_warning_pct: 'correlated exposure warning (% of equity)',
  correlated_exposure_critical_pct: 'correlated exposure critical (% of equity)',
  correlation_jump_warning: 'average correlation jump warning',
  correlation_jump_critical: 'average correlation jump critical',
  correlation_jump_window_minutes: 'average correlation jump lookback (min)',
  position_size_warning_pct: 'position size warning, per symbol (% of equity)',
  position_size_critical_pct: 'position size critical, per symbol (% of equity)',
  total_position_warning_pct: 'total position size warning (% of equity)',
  total_position_critical_pct: 'total position size critical (% of equity)',
  breaker_trip_max_leverage: 'max leverage after a breaker trips (x)',
  breaker_cooldown_minutes: 'breaker cool-down (min)',
  restore_step_minutes: 'limit restoration step (min)',
  degraded_trading_state: 'trading state with no healthy broker',
  broker_receive_window_ms: 'broker receive window (ms)',
  broker_clock_tolerance_ms: "broker clock's tolerated lag (ms)",
  close_preparation_minutes: 'close preparation before the regular close (min)',
  max_spread_bps: 'max spread to take liquidity (bps)',
  max_depth_share_pct: 'max share of the visible depth an order takes (%)',
  slippage_guard_bps: 'slippage guard (bps)',
  impact_coefficient: 'market impact coefficient (Y)',
  regime_elevated_volatility_pct: 'elevated volatility regime from (% annualised)',
  regime_stress_volatility_pct: 'stress volatility regime from (% annualised)',
  regime_elevated_limit_factor: 'limit factor in the elevated regime',
  regime_stress_limit_factor: 'limit factor in the stress regime',
  halt_order_policy: 'working orders in a halt (hold or cancel)',
  reconciliation_interval_seconds: 'reconciliation every (s; 0 = on request only)',
  reconciliation_retry_attempts: 'reconciliation: queries of a part before it is skipped',
  reconciliation_retry_base_ms: 'reconciliation: first retry after (ms, doubling)',
  reconciliation_incomplete_alert_after: 'reconciliation: incomplete runs in a row before an alert',
  reconciliation_unknown_order_misses: 'reconciliation: runs an order may be unknown at the broker before it is closed',
  reconciliation_cash_tolerance: 'reconciliation: cash difference tolerated as fees or rounding',
  reconciliation_queue_trading_state: 'trading state while the reconciliation queue has items',
  broker_clock_offset_alert_ms: "broker clock offset alerted beyond (ms)",
  fill_receipt_tolerance_ms: "fill's broker time to its receipt, at most (ms)",
  ...Object.fromEntries(DISCREPANCY_CLASSES.map(c => [policySettingKey(c), `reconciliation policy: ${c}`])),
};

/** The name a person reads for any setting, the per-symbol ones included. */
export function settingLabel(key: string): string {
  if (key in SETTING_LABELS) return SETTING_LABELS[key];
  if (key.startsWith('max_order_quantity.')) return `max order quantity, ${key.slice('max_order_quantity.'.length)}`;
  if (key.startsWith('max_position_notional.')) return `max position, ${key.slice('max_position_notional.'.length)} (USD)`;
  if (key.startsWith('trading_disabled.')) return `trading switched off, ${key.slice('trading_disabled.'.length)}`;
  if (key.startsWith('correlation.')) return `correlation ${key.slice('correlation.'.length).replace('/', ' / ')}`;
  return key;
}

/** A setting's value as a person reads it: numbers with grouped thousands, words as they are. */
export function formatSettingValue(value: string): string {
  return /^-?\d+(\.\d+)?$/.test(value) ? formatAmount(new Decimal(value), new Decimal(value).decimalPlaces()) : value;
}

const PER_SYMBOL_PREFIXES = ['max_order_quantity.', 'max_position_notional.', 'trading_disabled.'];
const CORRELATION_PREFIX = 'correlation.';

function isKnownKey(key: string): boolean {
  return key in SETTING_LABELS || PER_SYMBOL_PREFIXES.some(p => key.startsWith(p) && key.length > p.length) || /^correlation\.[^/]+\/[^/]+$/.test(key);
}

/** Correlation keys are order-independent: BTC-PERP/ETH-PERP and ETH-PERP/BTC-PERP are one setting. */
export function correlationKey(a: string, b: string): string {
  return `${CORRELATION_PREFIX}${[a, b].sort().join('/')}`;
}

const RECONCILIATION_WHOLE_NUMBERS = [
  'reconciliation_interval_seconds',
  'reconciliation_retry_attempts',
  'reconciliation_retry_base_ms',
  'reconciliation_incomplete_alert_after',
  'reconciliation_unknown_order_misses',
  'broker_clock_offset_alert_ms',
  'fill_receipt_tolerance_ms',
];

function invalid(key: string, value: string, reason: string): never {
  throw new TradingError('InvalidSettings', `setting ${key}=${JSON.stringify(value)} refused: ${reason}`, { key, value, reason });
}

/** Validate one setting; throws InvalidSettings with the reason. Returns its canonical key. */
export function validateSetting(key: string, value: string): string {
  if (!isKnownKey(key)) invalid(key, value, 'unknown setting');
  if (key.startsWith('trading_disabled.')) {
    if (value !== 'true' && value !== 'false') invalid(key, value, 'must be true or false');
    return key;
  }
  const reconciliationClass = classOfPolicyKey(key);
  if (reconciliationClass) {
    const allowed = CLASS_POLICIES[reconciliationClass];
    if (!(allowed as readonly string[]).includes(value)) invalid(key, value, `a ${reconciliationClass} can be handled by: ${allowed.join(', ')}`);
    return key;
  }
  if (key === 'trading_state' || key === 'degraded_trading_state' || key === 'reconciliation_queue_trading_state') {
    if (!isTradingState(value)) invalid(key, value, `must be one of ${TRADING_STATES.join(', ')}`);
    return key;
  }
  if (key === 'halt_order_policy') {
    if (!isHaltOrderPolicy(value)) invalid(key, value, `must be one of ${HALT_ORDER_POLICIES.join(', ')}`);
    return key;
  }
  let number: Decimal;
  try {
    number = parseDecimal(value, key);
  } catch (error) {
    if (error instanceof InvalidNumberError) invalid(key, value, error.reason);
    throw error;
  }
  if (key.startsWith(CORRELATION_PREFIX)) {
    const [a, b] = key.slice(CORRELATION_PREFIX.length).split('/');
    if (a === b) invalid(key, value, 'a symbol is always perfectly correlated with itself');
    if (number.lt(-1) || number.gt(1)) invalid(key, value, 'a correlation lies between -1 and 1');
    return correlationKey(a, b);
  }
  if (number.lt(0)) invalid(key, value, 'must not be negative');
  if (key === 'max_leverage' && number.isZero()) invalid(key, value, 'must be greater than zero');
  if ((key === 'position_leverage' || key === 'breaker_trip_max_leverage') && number.isZero()) invalid(key, value, 'must be greater than zero');
  if (RECONCILIATION_WHOLE_NUMBERS.includes(key) && !number.isInteger()) invalid(key, value, 'must be a whole number');
  if ((key === 'reconciliation_retry_attempts' || key === 'reconciliation_incomplete_alert_after' || key === 'reconciliation_unknown_order_misses') && number.lt(1)) invalid(key, value, 'must be at least 1');
  if (key === 'broker_receive_window_ms' && (!number.isInteger() || number.lte(0))) invalid(key, value, 'must be a whole number of milliseconds above zero');
  if (key === 'broker_clock_tolerance_ms' && !number.isInteger()) invalid(key, value, 'must be a whole number of milliseconds');
  if ((key === 'volatility_window_returns' || key === 'volatility_min_returns') && (!number.isInteger() || number.lt(2))) invalid(key, value, 'must be a whole number of at least 2');
  if (key === 'close_preparation_minutes' && !number.isInteger()) invalid(key, value, 'must be a whole number of minutes');
  if ((key === 'max_spread_bps' || key === 'max_depth_share_pct' || key === 'regime_elevated_volatility_pct' || key === 'regime_stress_volatility_pct') && number.isZero()) {
    invalid(key, value, 'must be greater than zero');
  }
  // Above 100 % a desk lets an order sweep the whole visible book (the rest cancelled or resting); ten times the book is the most that reads as a choice, not a typo.
  if (key === 'max_depth_share_pct' && number.gt(1000)) invalid(key, value, 'an order cannot take more than 1000 % of the visible depth');
  if ((key === 'regime_elevated_limit_factor' || key === 'regime_stress_limit_factor') && (number.isZero() || number.gt(1))) {
    invalid(key, value, 'a regime tightens the limits: the factor lies above 0 and at most 1');
  }
  return key;
}

export function toRiskLimits(values: Readonly<Record<string, string>>): RiskLimits {
  const pct = (key: string) => new Decimal(values[key]).div(100);
  const perSymbol = (prefix: string) =>
    new Map(
      Object.entries(values)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), new Decimal(v)] as const),
    );
  return {
    maxLeverage: new Decimal(values.max_leverage),
    maxOrderNotional: new Decimal(values.max_order_notional),
    maxOrderQuantity: perSymbol('max_order_quantity.'),
    maxPositionShare: pct('max_position_pct'),
    maxPositionNotional: perSymbol('max_position_notional.'),
    maxGrossExposureShare: pct('max_gross_exposure_pct'),
    maxNetExposureShare: pct('max_net_exposure_pct'),
    maxCorrelatedExposureShare: pct('max_correlated_exposure_pct'),
    dailyLossLimitShare: pct('daily_loss_limit_pct'),
    dailyLossLimitAmount: values.daily_loss_limit_amount !== undefined ? new Decimal(values.daily_loss_limit_amount) : null,
    priceCollarShare: pct('price_collar_pct'),
    tradingState: values.trading_state as TradingState,
    markStalenessSeconds: new Decimal(values.mark_staleness_seconds),
    disabledSymbols: new Set(
      Object.entries(values)
        .filter(([k, v]) => k.startsWith('trading_disabled.') && v === 'true')
        .map(([k]) => k.slice('trading_disabled.'.length)),
    ),
    correlations: perSymbol(CORRELATION_PREFIX),
    closePreparationMinutes: new Decimal(values.close_preparation_minutes),
    maxSpreadBps: new Decimal(values.max_spread_bps),
    maxDepthShare: pct('max_depth_share_pct'),
    slippageGuardBps: new Decimal(values.slippage_guard_bps),
    impactCoefficient: new Decimal(values.impact_coefficient),
    regimeElevatedVolatility: pct('regime_elevated_volatility_pct'),
    regimeStressVolatility: pct('regime_stress_volatility_pct'),
    regimeElevatedLimitFactor: new Decimal(values.regime_elevated_limit_factor),
    regimeStressLimitFactor: new Decimal(values.regime_stress_limit_factor),
    haltOrderPolicy: values.halt_order_policy as HaltOrderPolicy,
  };
}

function correlationMatrix(values: Readonly<Record<string, string>>): Decimal[][] {
  const pairs = Object.entries(values)
    .filter(([k]) => k.startsWith(CORRELATION_PREFIX))
    .map(([k, v]) => [...k.slice(CORRELATION_PREFIX.length).split('/'), v] as [string, string, string]);
  const symbols = [...new Set(pairs.flatMap(([a, b]) => [a, b]))].sort();
  const matrix = symbols.map((_, i) => symbols.map((__, j) => new Decimal(i === j ? 1 : 0)));
  for (const [a, b, v] of pairs) {
    const i = symbols.indexOf(a);
    const j = symbols.indexOf(b);
    matrix[i][j] = new Decimal(v);
    matrix[j][i] = new Decimal(v);
  }
  return matrix;
}

/** Cholesky with a small tolerance: a correlation matrix must be positive semidefinite. */
function isPositiveSemidefinite(matrix: readonly (readonly Decimal[])[]): boolean {
  const n = matrix.length;
  const tolerance = new Decimal('1e-12');
  const l: Decimal[][] = matrix.map(() => matrix.map(() => new Decimal(0)));
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      let s = matrix[i][j];
      for (let k = 0; k < j; k += 1) s = s.minus(l[i][k].times(l[j][k]));
      if (i === j) {
        if (s.lt(tolerance.neg())) return false;
        l[i][j] = s.lte(0) ? new Decimal(0) : s.sqrt();
      } else {
        l[i][j] = l[j][j].isZero() ? new Decimal(0) : s.div(l[j][j]);
        if (l[j][j].isZero() && s.abs().gt(tolerance)) return false;
      }
    }
  }
  return true;
}

export function correlationBetween(limits: RiskLimits, a: string, b: string): Decimal {
  if (a === b) return new Decimal(1);
  return limits.correlations.get([a, b].sort().join('/')) ?? new Decimal(0);
}

/** The versioned settings: version 0 is the defaults, every change is a SettingsChanged event. */
export class RuntimeSettings {
  private values: Record<string, string>;
  private versionNumber = 0;
  private limitsCache: RiskLimits;

  constructor(defaults: Readonly<Record<string, string>> = DEFAULT_SETTINGS) {
    this.values = { ...defaults };
    this.limitsCache = toRiskLimits(this.values);
  }

  get version(): number {
    return this.versionNumber;
  }

  get limits(): RiskLimits {
    return this.limitsCache;
  }

  snapshot(): Readonly<Record<string, string>> {
    return { ...this.values };
  }

  /** Validate a change as a whole without applying it; returns the canonical changes. */
  prepare(changes: Readonly<Record<string, string>>): Record<string, string> {
    if (Object.keys(changes).length === 0) throw new TradingError('InvalidSettings', 'a settings change must change something');
    const canonical: Record<string, string> = {};
    // Values are stored as given, so only canonical text may pass: padding is refused, not trimmed.
    for (const [key, value] of Object.entries(changes)) canonical[validateSetting(key, value)] = value;
    const merged = { ...this.values, ...canonical };
    if (Object.keys(canonical).some(k => k.startsWith(CORRELATION_PREFIX)) && !isPositiveSemidefinite(correlationMatrix(merged))) {
      throw new TradingError('InvalidSettings', 'correlations refused: no set of returns can have them together (the matrix is not positive semidefinite)', {
        reason: 'inconsistent correlations',
      });
    }
    if (new Decimal(merged.regime_elevated_volatility_pct).gt(merged.regime_stress_volatility_pct)) {
      throw new TradingError('InvalidSettings', `volatility regimes refused: elevated from ${merged.regime_elevated_volatility_pct} % lies above stress from ${merged.regime_stress_volatility_pct} %`, {
        reason: 'regime thresholds out of order',
      });
    }
    return canonical;
  }

  /** As a snapshot of the projection kept them: these values and this version exactly, the limits derived from them again. */
  restore(version: number, values: Readonly<Record<string, string>>): void {
    this.values = { ...values };
    this.versionNumber = version;
    this.limitsCache = toRiskLimits(this.values);
  }

  apply(version: number, changes: Readonly<Record<string, string>>): void {
    this.values = { ...this.values, ...changes };
    this.versionNumber = version;
    this.limitsCache = toRiskLimits(this.values);
  }
}
