import { Clock } from '../shared';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured logs: one JSON object a line, secrets redacted before anything is written. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

const SECRET_NAME = 'secret|api[_-]?key|token|password|passphrase|signature|authorization|cookie|credential|private[_-]?key';
const SECRET_KEY = new RegExp(SECRET_NAME, 'i');
/**
 * "x-api-key: abc", "password=abc", "\"token\":\"abc\"" inside a string: the name stays, the value
 * goes. The name is at most 64 word characters read before the separator and tested on its own, so
 * the scan is linear in the text (a pattern that searched for the name inside any word backtracked
 * quadratically on long input a trader can supply).
 */
const NAME_AND_SEPARATOR = /([\w-]{1,64})(["']?\s{0,8}[:=]\s{0,8}["']?)/g;
const SECRET_VALUE = /(?:(?:bearer|basic)\s{1,8})?[^\s"'&,;}]+/iy;
const BEARER_IN_TEXT = /\b(bearer\s{1,8})[\w.~+/=-]+/gi;
/** Longer strings are cut before they are scanned and written: a log line is evidence, not a payload. */
export const MAX_LOGGED_TEXT = 4096;
export const REDACTED = '[redacted]';
export const TOO_DEEP = '[too deep]';
export const CIRCULAR = '[circular]';
export const UNREADABLE = '[unreadable]';
const MAX_DEPTH = 8;

/** A string with every secret written into it replaced, cut to MAX_LOGGED_TEXT characters. */
export function redactText(text: string): string {
  const cut = text.length > MAX_LOGGED_TEXT ? `${text.slice(0, MAX_LOGGED_TEXT)}[${text.length - MAX_LOGGED_TEXT} more characters]` : text;
  let out = '';
  let copied = 0;
  NAME_AND_SEPARATOR.lastIndex = 0;
  for (let match = NAME_AND_SEPARATOR.exec(cut); match; match = NAME_AND_SEPARATOR.exec(cut)) {
    // A name that is not secret: its value may itself be a name ("refused: x-api-key: abc"), so scan on from the separator.
    if (!SECRET_KEY.test(match[1])) continue;
    SECRET_VALUE.lastIndex = NAME_AND_SEPARATOR.lastIndex;
    const value = SECRET_VALUE.exec(cut);
    if (!value) continue;
    out += `${cut.slice(copied, NAME_AND_SEPARATOR.lastIndex)}${REDACTED}`;
    copied = SECRET_VALUE.lastIndex;
    NAME_AND_SEPARATOR.lastIndex = copied;
  }
  return (out + cut.slice(copied)).replace(BEARER_IN_TEXT, `$1${REDACTED}`);
}

/** A plain deep copy safe to print: it never hands back a subtree it has not redacted, so what it cannot walk becomes a marker. */
export function redact(value: unknown): unknown {
  return redactValue(value, 0, new Set());
}

function redactValue(value: unknown, depth: number, path: Set<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  // Only the objects on the way down count as a cycle: one object logged twice is printed twice.
  if (path.has(value)) return CIRCULAR;
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  path.add(value);
  try {
    return redactObject(value, depth, path);
  } catch {
    return UNREADABLE;
  } finally {
    path.delete(value);
  }
}

function redactObject(value: object, depth: number, path: Set<object>): unknown {
  const next = (v: unknown) => redactValue(v, depth + 1, path);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map(next);
  if (value instanceof Map) return entries([...value.entries()].map(([k, v]) => [String(k), v]), next);
  if (value instanceof Set) return [...value].map(next);
  if (value instanceof Error) {
    const own = entries(Object.entries(value), next) as Record<string, unknown>;
    const cause = value.cause === undefined ? {} : { cause: next(value.cause) };
    return { name: value.name, message: redactText(value.message), ...own, ...cause, ...(value.stack ? { stack: redactText(value.stack) } : {}) };
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const json: unknown = toJSON.call(value, '');
    // What JSON.stringify would print is what gets redacted; an object that returns itself is walked as it is.
    if (json !== value) return redactValue(json, depth + 1, path);
  }
  return entries(Object.keys(value).map(k => [k, readProperty(value, k)]), next);
}

/** A property read that may throw (a getter, a proxy) stands for itself as a marker instead of failing the log line. */
function readProperty(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return UNREADABLE;
  }
}

function entries(pairs: ReadonlyArray<readonly [string, unknown]>, next: (v: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of pairs) out[k] = SECRET_KEY.test(k) ? REDACTED : next(v);
  return out;
}

export class JsonLinesLogger implements Logger {
  constructor(
    private readonly write: (line: string) => void,
    private readonly clock: Clock,
    private readonly component = 'trading-system',
  ) {}

  log(level: LogLevel, message: string, fields: Readonly<Record<string, unknown>> = {}): void {
    const redacted = redact(fields);
    const record = { ts: this.clock.now().toISOString(), level, component: this.component, msg: redactText(message), ...(typeof redacted === 'object' && redacted !== null ? redacted : {}) };
    this.write(JSON.stringify(record));
  }
}

/** For a system nobody listens to. */
export const SILENT_LOGGER: Logger = { log: () => undefined };
