import { RATE_LIMIT_HEADERS } from '../../../domain/execution';
import { BoundedLog } from '../bounded-log';
import { Answer, Target } from './answer';
import { redactApiKey } from './request-auth';

export interface HttpLogEntry {
  method: string;
  path: string;
  status: number;
  code?: string;
  /** Redacted with redactApiKey. */
  key?: string;
  /** The x-ratelimit-remaining the answer carried, when it carried one. */
  remaining?: number;
  /** Wall-clock time the answer was sent. */
  at: string;
}

export const DEFAULT_HTTP_LOG_CAPACITY = 10_000;

/** The answers the broker sent, the last ones kept, each also written to the structured log and told to listeners. */
export class HttpLog {
  private readonly answered: BoundedLog<HttpLogEntry>;
  private readonly answerListeners = new Set<(entry: HttpLogEntry) => void>();
  private readonly silenceListeners = new Set<(target: Target, fault: string) => void>();

  constructor(
    capacity: number,
    private readonly brokerName: string,
    private readonly log: (line: Record<string, unknown>) => void,
  ) {
    this.answered = new BoundedLog(capacity);
  }

  get entries(): ReadonlyArray<HttpLogEntry> {
    return this.answered.toArray();
  }

  get dropped(): number {
    return this.answered.dropped;
  }

  onAnswered(listener: (entry: HttpLogEntry) => void): () => void {
    this.answerListeners.add(listener);
    return () => this.answerListeners.delete(listener);
  }

  record(target: Target, answer: Pick<Answer, 'status' | 'code'> & { headers?: Record<string, string> }, key: string | undefined, durationMs: number): void {
    const remaining = answer.headers?.[RATE_LIMIT_HEADERS.remaining];
    const entry: HttpLogEntry = {
      method: target.method,
      path: target.pathWithQuery,
      status: answer.status,
      ...(answer.code ? { code: answer.code } : {}),
      ...(key ? { key: redactApiKey(key) } : {}),
      ...(remaining !== undefined ? { remaining: Number(remaining) } : {}),
      at: new Date().toISOString(),
    };
    this.answered.push(entry);
    for (const listener of [...this.answerListeners]) listener(entry);
    this.log({ event: 'broker.http', broker: this.brokerName, ...entry, durationMs: Math.round(durationMs * 1000) / 1000 });
  }

  /** Scripted silence: logged for the evidence, kept out of httpLog (which holds answers only). */
  /** Told of each request the broker will never answer (scripted silence). */
  onUnanswered(listener: (target: Target, fault: string) => void): () => void {
    this.silenceListeners.add(listener);
    return () => this.silenceListeners.delete(listener);
  }

  recordUnanswered(target: Target, fault: string): void {
    this.log({ event: 'broker.http.unanswered', broker: this.brokerName, method: target.method, path: target.pathWithQuery, fault, at: new Date().toISOString() });
    for (const listener of this.silenceListeners) listener(target, fault);
  }
}
