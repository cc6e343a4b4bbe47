import { createHash } from 'node:crypto';
import { Decimal, TradingError } from '../shared';
import { InstrumentRegistry, applyFill, canTransition, createOrder, defaultTimeInForce, flatPosition, isWorking, remainingQuantity, signedQuantity, statusAfterRefusal, transition } from '../model';
import { StateProjection } from './projection';
import { RuntimeSettings } from './runtime-settings';
import { BreakerBoard } from './breaker-board';
import { BrokerRouting } from './broker-routing';
import { MarketBoard } from './market-board';
import { ReconciliationBoard } from './reconciliation-board';

/**
 * A value of the projection as JSON: strings, finite numbers, booleans and null as themselves, plain
 * objects as objects (every key, in its order, undefined ones too), and the rest tagged in an array:
 * ['D', text] a Decimal ('-0' for a negative zero), ['M', [[key, value], ...]] a Map and
 * ['S', [...]] a Set in insertion order, ['A', [...]] an array, ['U'] undefined, ['Z'] the number -0.
 */
export type DumpedValue = string | number | boolean | null | DumpedValue[] | { [key: string]: DumpedValue };

/** The whole projection, field by field (each board by its own fields), but for the instruments it was built with. */
export type ProjectionDump = { [field: string]: DumpedValue };

/** Bumped when the dump's shape changes in a way the field check below cannot see. */
export const DUMP_FORMAT = 1;

/** The fields of the projection a dump leaves out: the instruments are given to it, not built from the log. */
const GIVEN_FIELDS = new Set(['instruments']);

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function dumpValue(value: unknown, where: string): DumpedValue {
  if (value === undefined) return ['U'];
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TradingError('InvalidInput', `${where} is ${value}: a snapshot keeps finite numbers only`, { where });
    return Object.is(value, -0) ? ['Z'] : value;
  }
  if (Decimal.isDecimal(value)) {
    const d = value as Decimal;
    return ['D', d.isZero() && d.isNegative() ? '-0' : d.toString()];
  }
  if (value instanceof Map) return ['M', [...value].map(([k, v]) => [dumpValue(k, where), dumpValue(v, `${where}.${String(k)}`)])];
  if (value instanceof Set) return ['S', [...value].map(v => dumpValue(v, where))];
  if (Array.isArray(value)) return ['A', value.map((v, i) => dumpValue(v, `${where}[${i}]`))];
  if (typeof value === 'object' && isPlainObject(value)) {
    const out: { [key: string]: DumpedValue } = {};
    for (const [k, v] of Object.entries(value)) out[k] = dumpValue(v, `${where}.${k}`);
    return out;
  }
  // A value of a kind the dump does not know would be lost or changed on the way back: refuse it.
  throw new TradingError('InvalidInput', `${where} is a ${Object.prototype.toString.call(value)}: a snapshot cannot keep it`, { where });
}

function restoreValue(dumped: DumpedValue, where: string): unknown {
  if (dumped === null || typeof dumped !== 'object') return dumped;
  if (!Array.isArray(dumped)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(dumped)) out[k] = restoreValue(v, `${where}.${k}`);
    return out;
  }
  const [tag, body] = dumped;
  switch (tag) {
    case 'U':
      return undefined;
    case 'Z':
      return -0;
    case 'D':
      if (typeof body !== 'string') break;
      return new Decimal(body);
    case 'M':
      if (!Array.isArray(body)) break;
      return new Map(body.map(entry => {
        if (!Array.isArray(entry) || entry.length !== 2) throw unreadable(where, 'a map entry is not a key and a value');
        return [restoreValue(entry[0], where), restoreValue(entry[1], where)];
      }));
    case 'S':
      if (!Array.isArray(body)) break;
      return new Set(body.map(v => restoreValue(v, where)));
    case 'A':
      if (!Array.isArray(body)) break;
      return body.map((v, i) => restoreValue(v, `${where}[${i}]`));
  }
  throw unreadable(where, `the tag ${JSON.stringify(tag)} is not one the dump writes`);
}

function unreadable(where: string, why: string): TradingError {
  return new TradingError('InvalidInput', `snapshot field ${where} cannot be read: ${why}`, { where });
}

/** A part of the projection with fields of its own (a board, the settings) rather than a value. */
function isPart(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !isPlainObject(value) && !(value instanceof Map) && !(value instanceof Set) && !Array.isArray(value) && !Decimal.isDecimal(value);
}

function dumpPart(part: object, where: string, skip: ReadonlySet<string> = new Set()): ProjectionDump {
  if (part instanceof RuntimeSettings) return { version: part.version, values: dumpValue(part.snapshot(), `${where}.values`) };
  const out: ProjectionDump = {};
  for (const [field, value] of Object.entries(part)) {
    if (skip.has(field)) continue;
    out[field] = isPart(value) ? dumpPart(value, `${where}.${field}`) : dumpValue(value, `${where}.${field}`);
  }
  return out;
}

/**
 * Fill a fresh part from its dump. The dump must name exactly the fields the part has: a field the
 * code has gained or lost since the dump was written makes the dump unusable, never half applied.
 */
function restorePart(part: object, dumped: DumpedValue, where: string, skip: ReadonlySet<string> = new Set()): void {
  if (dumped === null || typeof dumped !== 'object' || Array.isArray(dumped)) throw unreadable(where, 'it is not a set of fields');
  if (part instanceof RuntimeSettings) {
    const { version, values } = dumped;
    const restored = restoreValue(values, `${where}.values`);
    if (typeof version !== 'number' || restored === null || typeof restored !== 'object') throw unreadable(where, 'the settings need a version and values');
    part.restore(version, restored as Record<string, string>);
    return;
  }
  const target = part as Record<string, unknown>;
  const fields = Object.keys(target).filter(f => !skip.has(f));
  const names = Object.keys(dumped);
  if (fields.length !== names.length || fields.some(f => !(f in dumped))) {
    throw unreadable(where, `it names the fields ${names.sort().join(', ')}, the projection has ${fields.sort().join(', ')}`);
  }
  for (const field of fields) {
    const current = target[field];
    const path = `${where}.${field}`;
    if (isPart(current)) {
      restorePart(current, dumped[field], path);
      continue;
    }
    const value = restoreValue(dumped[field], path);
    if (current instanceof Map || current instanceof Set) {
      // The projection's collections are its own (readonly fields others hold on to): filled, not replaced.
      if (current instanceof Map && value instanceof Map) value.forEach((v, k) => current.set(k, v));
      else if (current instanceof Set && value instanceof Set) value.forEach(v => current.add(v));
      else throw unreadable(path, 'the kind of collection differs');
    } else {
      target[field] = value;
    }
  }
}

/**
 * The whole projection as plain JSON, in a canonical form: every field of the projection and of each
 * board, collections in their insertion order (the order readers see them in). Two projections with
 * equal dumps are the same state; restoreProjection reads a dump back.
 */
export function dumpProjection(state: StateProjection): ProjectionDump {
  return dumpPart(state, 'projection', GIVEN_FIELDS);
}

/** A fresh projection holding the state a dump describes; throws InvalidInput when the dump does not fit this code's projection. */
export function restoreProjection(dump: ProjectionDump, instruments: InstrumentRegistry, defaults?: Readonly<Record<string, string>>): StateProjection {
  const state = new StateProjection(instruments, defaults);
  restorePart(state, dump, 'projection', GIVEN_FIELDS);
  return state;
}

/** The code that turns events into the projection's state: a snapshot is read back only by the code that wrote it. */
const PROJECTION_CODE: readonly { toString(): string }[] = [
  StateProjection,
  BreakerBoard,
  BrokerRouting,
  MarketBoard,
  ReconciliationBoard,
  RuntimeSettings,
  createOrder,
  transition,
  canTransition,
  statusAfterRefusal,
  remainingQuantity,
  defaultTimeInForce,
  isWorking,
  applyFill,
  flatPosition,
  signedQuantity,
];

/**
 * What a projection's state depends on besides the log: the instruments and default settings it was
 * built with, the code that applies events, and the dump's format. A snapshot written under another
 * basis is not this system's state of the log, however intact: it is set aside and the log replayed.
 */
export function projectionBasis(instruments: InstrumentRegistry, defaults?: Readonly<Record<string, string>>): string {
  const settings = new RuntimeSettings(defaults).snapshot();
  const text = JSON.stringify([DUMP_FORMAT, dumpValue(instruments.all(), 'instruments'), dumpValue(settings, 'defaults'), PROJECTION_CODE.map(code => code.toString())]);
  return createHash('sha256').update(text).digest('hex');
}
