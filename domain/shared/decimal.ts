import Decimal from 'decimal.js';

// Money and quantities never touch floating point: 40 significant digits, banker-free half-up rounding.
// toString never switches to an exponent, so whatever the system writes its own edges read back.
Decimal.set({ precision: 40, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -9e15, toExpPos: 9e15 });

export { Decimal };
export const ZERO = new Decimal(0);

export class InvalidNumberError extends Error {
  readonly kind = 'InvalidNumber' as const;
  constructor(readonly field: string, readonly input: unknown, readonly reason: string) {
    super(`${field}: ${reason} (got ${JSON.stringify(input)})`);
    this.name = 'InvalidNumberError';
  }
}

// Far beyond any real price, size or balance, and it keeps a runaway string from becoming a number.
export const MAX_INTEGER_DIGITS = 30;
// The wire carries averages at the full 40 digits; 50 places keep those exact down to 1e-10.
export const MAX_FRACTION_DIGITS = 50;
// The precision above: a 41st significant digit would be rounded away silently by the first sum.
export const MAX_SIGNIFICANT_DIGITS = 40;
const DECIMAL_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** Why a text is not canonical decimal text, in the words of the mistake it most likely is; null when it is. */
function refusal(text: string): string | null {
  // Canonical text, the common case on every wire message, is recognised first; the diagnosis is for the rest.
  const match = DECIMAL_TEXT.exec(text);
  if (match) return digitLimits(match[1], match[2] ?? '');
  if (text === '') return 'empty';
  if (/\s/.test(text)) return 'must not contain spaces or other padding';
  if (text.includes(',')) return 'must not contain a comma: no thousands separators, and the decimal point is "."';
  if (/^[-+]?0[xXbBoO]/.test(text)) return 'hex, octal and binary are not decimal numbers';
  if (/^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$/.test(text)) return 'must be written out in full, without an exponent';
  if (text.startsWith('+')) return 'no leading +: a positive number is written without a sign';
  if (/^-?0\d/.test(text)) return 'no leading zeros';
  if (/^-?\d*\.\d*$/.test(text) && /^-?\.|\.$/.test(text)) return 'needs a digit on both sides of the decimal point';
  return 'not a decimal number';
}

function digitLimits(integer: string, fraction: string): string | null {
  if (integer.length > MAX_INTEGER_DIGITS) return `at most ${MAX_INTEGER_DIGITS} digits before the decimal point`;
  if (fraction.length - 1 > MAX_FRACTION_DIGITS) return `at most ${MAX_FRACTION_DIGITS} digits after the decimal point`;
  const significant = `${integer}${fraction.slice(1)}`.replace(/^0+/, '').replace(/0+$/, '');
  if (significant.length > MAX_SIGNIFICANT_DIGITS) return `at most ${MAX_SIGNIFICANT_DIGITS} significant digits`;
  return null;
}

/** A decimal from the edge (wire, orders, settings): canonical text only, since a guess ("1,5" as 15) is worse than a refusal; strings only, since a JS number has already lost precision. */
export function parseDecimal(input: unknown, field: string): Decimal {
  if (input instanceof Decimal) {
    if (!input.isFinite()) throw new InvalidNumberError(field, input.toString(), 'not a finite number');
    return input;
  }
  if (typeof input !== 'string') throw new InvalidNumberError(field, input, 'expected a decimal string');
  const reason = refusal(input);
  if (reason !== null) throw new InvalidNumberError(field, input, reason);
  const value = new Decimal(input);
  // "-0" is zero (decimal.js's own toJSON writes it): read as plain 0 so no "must not be negative" check trips on it.
  return value.isZero() ? ZERO : value;
}

export function parsePositiveDecimal(input: unknown, field: string): Decimal {
  const value = parseDecimal(input, field);
  if (value.lte(0)) throw new InvalidNumberError(field, input, 'must be greater than zero');
  return value;
}

/** True when value is a whole multiple of step (tick size, lot size). */
export function isMultipleOf(value: Decimal, step: Decimal): boolean {
  return value.mod(step).isZero();
}

export function sum(values: readonly Decimal[]): Decimal {
  return values.reduce((acc, v) => acc.plus(v), ZERO);
}
