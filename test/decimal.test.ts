import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal, InvalidNumberError, parseDecimal } from '../domain/shared';

const GOOD: ReadonlyArray<readonly [string, string]> = [
  ['0', '0'],
  ['1', '1'],
  ['15', '15'],
  ['0.5', '0.5'],
  ['0.001', '0.001'],
  ['-1', '-1'],
  ['-0.5', '-0.5'],
  ['50000.5', '50000.5'],
  ['1.50', '1.5'],
  ['0.0', '0'],
  ['123456789012345678901234567890', '123456789012345678901234567890'],
  ['0.00000000000000000000000000000000000000000000000001', '0.00000000000000000000000000000000000000000000000001'],
  ['0.0000000001234567890123456789012345678901234567890', '0.000000000123456789012345678901234567890123456789'],
  // An average price the broker computed at full precision: 40 significant digits.
  ['49714.28571428571428571428571428571428571', '49714.28571428571428571428571428571428571'],
  ['-1234567890.123456789012345678901234567890', '-1234567890.12345678901234567890123456789'],
];

/** Each of these was once read as some other number, or is a way of writing one nobody at the edge should use. */
const BAD: ReadonlyArray<readonly [unknown, RegExp]> = [
  ['1,5', /comma/],
  ['0,001', /comma/],
  ['100,000', /comma/],
  ['1,000.5', /comma/],
  [' 1', /space/],
  ['1 ', /space/],
  ['1\n', /space/],
  ['\t5', /space/],
  ['1 000', /space/],
  ['1e3', /exponent/],
  ['1E-3', /exponent/],
  ['0x10', /hex/],
  ['0b1', /hex/],
  ['0o7', /hex/],
  ['+1', /leading \+/],
  ['007', /leading zero/],
  ['00.5', /leading zero/],
  ['-01', /leading zero/],
  ['1.', /both sides/],
  ['.5', /both sides/],
  ['-.5', /both sides/],
  ['1234567890123456789012345678901', /at most 30 digits before/],
  ['0.000000000000000000000000000000000000000000000000001', /at most 50 digits after/],
  ['1234567890.1234567890123456789012345678901', /at most 40 significant digits/],
  ['', /empty/],
  ['-', /not a decimal number/],
  ['NaN', /not a decimal number/],
  ['Infinity', /not a decimal number/],
  ['-Infinity', /not a decimal number/],
  ['1.2.3', /not a decimal number/],
  ['1_000', /not a decimal number/],
  ['١٢', /not a decimal number/],
  ['１', /not a decimal number/],
  [1.5, /decimal string/],
  [15, /decimal string/],
  [null, /decimal string/],
  [undefined, /decimal string/],
];

test('canonical decimal text is read exactly', () => {
  for (const [text, expected] of GOOD) assert.equal(parseDecimal(text, 'quantity').toString(), expected, text);
  assert.equal(parseDecimal(new Decimal('2.5'), 'quantity').toString(), '2.5');
});

test('anything but canonical decimal text is refused, naming the field and the text as given', () => {
  for (const [input, reason] of BAD) {
    assert.throws(
      () => parseDecimal(input, 'quantity'),
      (error: unknown) => {
        assert.ok(error instanceof InvalidNumberError, `${JSON.stringify(input)}: ${String(error)}`);
        assert.equal(error.field, 'quantity');
        assert.equal(error.input, input);
        assert.match(error.reason, reason, `${JSON.stringify(input)}: ${error.reason}`);
        assert.ok(error.message.startsWith('quantity: '), error.message);
        if (typeof input === 'string') assert.ok(error.message.includes(JSON.stringify(input)), error.message);
        return true;
      },
      JSON.stringify(input),
    );
  }
});

test('"-0" is zero, not a negative number', () => {
  for (const text of ['-0', '-0.00']) {
    const value = parseDecimal(text, 'fee');
    assert.ok(value.isZero() && !value.isNegative(), text);
  }
});

test('a Decimal that is not finite is refused', () => {
  assert.throws(() => parseDecimal(new Decimal(NaN), 'price'), InvalidNumberError);
  assert.throws(() => parseDecimal(new Decimal(Infinity), 'price'), InvalidNumberError);
});

test('what the system writes it reads back: no exponent for tiny fees or large notionals', () => {
  for (const text of ['0.00000001', '0.000000000000000001', '123456789012345678901234567890', '-0.0000005']) {
    const value = new Decimal(text);
    assert.equal(value.toString(), text);
    assert.ok(parseDecimal(value.toString(), 'fee').eq(value), text);
  }
  assert.equal(new Decimal('2.5').div(1e8).toString(), '0.000000025');
});
