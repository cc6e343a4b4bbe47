import { Decimal } from './decimal';

/** Figures as a risk officer reads them: grouped thousands, fixed decimals. */
export function formatAmount(value: Decimal, decimals = 2): string {
  const fixed = value.toFixed(decimals, Decimal.ROUND_HALF_UP);
  const [whole, fraction] = fixed.split('.');
  const negative = whole.startsWith('-');
  const digits = negative ? whole.slice(1) : whole;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction !== undefined ? `.${fraction}` : ''}`;
}

export function formatMoney(value: Decimal, currency = 'USD', decimals = 2): string {
  return `${formatAmount(value, decimals)} ${currency}`;
}

export function formatShare(fraction: Decimal, decimals = 2): string {
  return `${formatAmount(fraction.times(100), decimals)} %`;
}

export function formatLeverage(value: Decimal, decimals = 2): string {
  return `${formatAmount(value, decimals)}x`;
}

/**
 * Show a value and its limit with as many decimals as it takes to tell them apart (2 to 8), so a
 * breach by a hair never reads "5.00 % against 5.00 %".
 */
export function formatPair(value: Decimal, limit: Decimal, format: (v: Decimal, decimals: number) => string): [string, string] {
  for (let decimals = 2; decimals < 8; decimals += 1) {
    const shown: [string, string] = [format(value, decimals), format(limit, decimals)];
    if (shown[0] !== shown[1] || value.eq(limit)) return shown;
  }
  return [format(value, 8), format(limit, 8)];
}
