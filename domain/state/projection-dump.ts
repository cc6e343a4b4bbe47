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
 * A value of the projection as JSON: finite numbers, booleans and null as themselves, a Decimal as
 * '#' and its text ('#-0' for a negative zero), a string as itself (one that starts with '#' with
 * another '#' before it), plain objects as objects (every key, in its order, undefined ones too),
 * and the rest tagged in an array: ['M', [[key, value], ...]] a Map and
 * ['S', [...]] a Set in insertion order, ['A', [...]] an array, ['U'] undefined, ['Z'] the number -0,
 * and ['T', shapes, rows] a Map whose values are all plain objects (orders, fills, positions), as a
 * table: each shape a list of keys in their order, each row [key, shape, value of each key...].
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

/** '#': what a Decimal's text starts with in a dump. */
const HASH = 35;

/** A value the dump cannot keep; the field it sits in is named where the dump of that field is caught. */
class NotDumpable extends Error {}

function dumpValue(value: unknown): DumpedValue {
  if (value === undefined) return ['U'];
  if (typeof value === 'string') return value.charCodeAt(0) === HASH ? `#${value}` : value;
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotDumpable(`the number ${value}: a snapshot keeps finite numbers only`);
    return Object.is(value, -0) ? ['Z'] : value;
  }
  if (value instanceof Decimal) return value.isZero() && value.isNegative() ? '#-0' : `#${value.toString()}`;
  if (value instanceof Map) return dumpMap(value);
  if (value instanceof Set) return ['S', [...value].map(dumpValue)];
  if (Array.isArray(value)) return ['A', value.map(dumpValue)];
  if (typeof value === 'object' && isPlainObject(value)) {
    const out: { [key: string]: DumpedValue } = {};
    for (const key in value) out[key] = dumpValue((value as Record<string, unknown>)[key]);
    return out;
  }
  // A value of a kind the dump does not know would be lost or changed on the way back: refuse it.
  throw new NotDumpable(`a ${Object.prototype.toString.call(value)}: a snapshot cannot keep it`);
}

function dumpMap(map: Map<unknown, unknown>): DumpedValue {
  let table = map.size > 0;
  for (const v of map.values()) if (typeof v !== 'object' || v === null || Array.isArray(v) || !isPlainObject(v)) table = false;
  if (!table) return ['M', [...map].map(([k, v]) => [dumpValue(k), dumpValue(v)])];
  const shapes: string[][] = [];
  const shapeIndex = new Map<string, number>();
  const rows: DumpedValue[] = [];
  for (const [k, v] of map) {
    const keys = Object.keys(v as object);
    const id = keys.join('\u0000');
    let index = shapeIndex.get(id);
    if (index === undefined) {
      index = shapes.length;
      shapes.push(keys);
      shapeIndex.set(id, index);
    }
    const row: DumpedValue[] = [dumpValue(k), index];
    for (const key of keys) row.push(dumpValue((v as Record<string, unknown>)[key]));
    rows.push(row);
  }
  return ['T', shapes, rows];
}

/**
 * Reads dumped values back. Decimals are immutable, so equal ones read back as one instance: a
 * log's orders and fills repeat a few prices and sizes many times.
 */
class DumpReader {
  private readonly decimals = new Map<string, Decimal>();

  value(dumped: DumpedValue): unknown {
    if (typeof dumped === 'string') return dumped.charCodeAt(0) !== HASH ? dumped : dumped.charCodeAt(1) === HASH ? dumped.slice(1) : this.decimal(dumped.slice(1));
    if (dumped === null || typeof dumped !== 'object') return dumped;
    if (!Array.isArray(dumped)) {
      const out: Record<string, unknown> = {};
      for (const key in dumped) out[key] = this.value(dumped[key]);
      return out;
    }
    const tag = dumped[0];
    const body = dumped[1];
    switch (tag) {
      case 'U':
        return undefined;
      case 'Z':
        return -0;
      case 'M':
        if (Array.isArray(body)) return new Map(body.map(entry => (Array.isArray(entry) && entry.length === 2 ? [this.value(entry[0]), this.value(entry[1])] : unreadableEntry())));
        break;
      case 'T':
        if (Array.isArray(body) && Array.isArray(dumped[2])) return this.table(body, dumped[2]);
        break;
      case 'S':
        if (Array.isArray(body)) return new Set(body.map(v => this.value(v)));
        break;
      case 'A':
        if (Array.isArray(body)) return body.map(v => this.value(v));
        break;
    }
    throw new NotDumpable(`the tag ${JSON.stringify(tag)} is not one the dump writes`);
  }

  private decimal(text: string): Decimal {
    let d = this.decimals.get(text);
    if (!d) {
      d = new Decimal(text);
      this.decimals.set(text, d);
    }
    return d;
  }

  private table(shapes: DumpedValue[], rows: DumpedValue[]): Map<unknown, unknown> {
    const keys = shapes.map(shape => (Array.isArray(shape) && shape.every(k => typeof k === 'string') ? (shape as string[]) : unreadableEntry()));
    const map = new Map<unknown, unknown>();
    for (const row of rows) {
      const shape = Array.isArray(row) && typeof row[1] === 'number' ? keys[row[1]] : undefined;
      if (!shape || !Array.isArray(row) || row.length !== shape.length + 2) unreadableEntry();
      const out: Record<string, unknown> = {};
      for (let i = 0; i < shape.length; i += 1) out[shape[i]] = this.value(row[i + 2]);
      map.set(this.value(row[0]), out);
    }
    return map;
  }
}

function unreadableEntry(): never {
  throw new NotDumpable('an entry of a collection is not a key and a value of a known shape');
}

function unreadable(where: string, why: string): TradingError {
  return new TradingError('InvalidInput', `snapshot field ${where} cannot be read: ${why}`, { where });
}

/** A part of the projection with fields of its own (a board, the settings) rather than a value. */
function isPart(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !isPlainObject(value) && !(value instanceof Map) && !(value instanceof Set) && !Array.isArray(value) && !Decimal.isDecimal(value);
}

function dumpPart(part: object, where: string, skip: ReadonlySet<string> = new Set()): ProjectionDump {
  if (part instanceof RuntimeSettings) return { version: part.version, values: dumpValue(part.snapshot()) };
  const out: ProjectionDump = {};
  for (const [field, value] of Object.entries(part)) {
    if (skip.has(field)) continue;
    try {
      out[field] = isPart(value) ? dumpPart(value, `${where}.${field}`) : dumpValue(value);
    } catch (error) {
      if (!(error instanceof NotDumpable)) throw error;
      throw new TradingError('InvalidInput', `${where}.${field} holds ${error.message}`, { where: `${where}.${field}` });
    }
  }
  return out;
}

/**
 * Fill a fresh part from its dump. The dump must name exactly the fields the part has: a field the
 * code has gained or lost since the dump was written makes the dump unusable, never half applied.
 */
function restorePart(reader: DumpReader, part: object, dumped: DumpedValue, where: string, skip: ReadonlySet<string> = new Set()): void {
  if (dumped === null || typeof dumped !== 'object' || Array.isArray(dumped)) throw unreadable(where, 'it is not a set of fields');
  if (part instanceof RuntimeSettings) {
    const { version, values } = dumped;
    const restored = read(reader, values, `${where}.values`);
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
      restorePart(reader, current, dumped[field], path);
      continue;
    }
    const value = read(reader, dumped[field], path);
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

function read(reader: DumpReader, dumped: DumpedValue, where: string): unknown {
  try {
    return reader.value(dumped);
  } catch (error) {
    if (!(error instanceof NotDumpable)) throw error;
    throw unreadable(where, error.message);
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
  restorePart(new DumpReader(), state, dump, 'projection', GIVEN_FIELDS);
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
  const text = JSON.stringify([DUMP_FORMAT, dumpValue(instruments.all()), dumpValue(settings), PROJECTION_CODE.map(code => code.toString())]);
  return createHash('sha256').update(text).digest('hex');
}
