/** Node fires longer setTimeout delays at once, so a toxic may not ask for more. */
export const MAX_TIMER_MS = 2_147_483_647;

export function requireNumber(label: string, value: number, min: number, max: number, integer = false): void {
  const valid = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
  if (!valid || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${label} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(value)}`);
  }
}
