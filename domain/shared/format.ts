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

export function formatMoney(value: Decimal, currency = 'USD'): string {
  return `${formatAmount(value)} ${currency}`;
}

export function formatShare(fraction: Decimal): string {
  return `${formatAmount(fraction.times(100))} %`;
}

export function formatLeverage(value: Decimal): string {
  return `${formatAmount(value)}x`;
}

export function formatQuantity(value: Decimal): string {
  return value.toFixed();
}
