import Decimal from 'decimal.js';

// Money and quantities never touch floating point: 40 significant digits, banker-free half-up rounding.
Decimal.set({ precision: 40, rounding: Decimal.ROUND_HALF_UP });

export { Decimal };
export const ZERO = new Decimal(0);

export class InvalidNumberError extends Error {
  readonly kind = 'InvalidNumber' as const;
  constructor(readonly field: string, readonly input: unknown, readonly reason: string) {
    super(`${field}: ${reason} (got ${JSON.stringify(input)})`);
    this.name = 'InvalidNumberError';
  }
}

const DECIMAL_TEXT = /^-?(\d+)(\.\d+)?$/;

/** Parse a decimal from the edge (wire, Gherkin, settings). Strings only: a JS number has already lost precision. */
export function parseDecimal(input: unknown, field: string): Decimal {
  if (input instanceof Decimal) {
    if (!input.isFinite()) throw new InvalidNumberError(field, input.toString(), 'not a finite number');
    return input;
  }
  if (typeof input !== 'string') throw new InvalidNumberError(field, input, 'expected a decimal string');
  const text = input.trim().replace(/,/g, '');
  if (!DECIMAL_TEXT.test(text)) throw new InvalidNumberError(field, input, 'not a decimal number');
  return new Decimal(text);
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
