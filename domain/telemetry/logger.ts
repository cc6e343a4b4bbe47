import { Clock } from '../shared/clock';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured logs: one JSON object a line, secrets redacted before anything is written. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

const SECRET_KEY = /secret|api[_-]?key|token|password|passphrase|signature|authorization/i;
export const REDACTED = '[redacted]';

/** A deep copy in which every value under a secret-looking key is replaced. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(v => redact(v, depth + 1));
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1)]));
}

export class JsonLinesLogger implements Logger {
  constructor(
    private readonly write: (line: string) => void,
    private readonly clock: Clock,
    private readonly component = 'trading-system',
  ) {}

  log(level: LogLevel, message: string, fields: Readonly<Record<string, unknown>> = {}): void {
    const record = { ts: this.clock.now().toISOString(), level, component: this.component, msg: message, ...(redact(fields) as object) };
    this.write(JSON.stringify(record));
  }
}

/** For a system nobody listens to. */
export const SILENT_LOGGER: Logger = { log: () => undefined };
