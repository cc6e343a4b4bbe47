import { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { API_PREFIX, MAX_BODY_BYTES, REPORT_EPOCH_HEADER, REPORT_SEQ_HEADER } from '../../../domain/execution';
import { Answer, Target, errorAnswer, targetOf } from './answer';
import { HttpLog } from './http-log';
import { ReportStream } from './report-stream';
import { RequestAuthenticator, authHeadersOf } from './request-auth';
import { RestRoutes } from './rest-routes';
import { ScriptedRestFailures } from './scripted-failures';
import { ServiceStatusSwitch } from './service-status';

/** A request exactly as it arrived: signed headers and body. */
export interface CapturedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface RestApiParts {
  auth: RequestAuthenticator;
  status: ServiceStatusSwitch;
  failures: ScriptedRestFailures;
  routes: RestRoutes;
  httpLog: HttpLog;
  /** Every API answer names the session and last report seq, so a client can tell what it missed. */
  reports: ReportStream;
}

/** One REST request from arrival to answer (or scripted silence), every check in the broker's order. */
export class RestApi {
  private lastOrderRequest: CapturedRequest | null = null;

  constructor(private readonly parts: RestApiParts) {}

  onRequest(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const target = targetOf(req);
    this.answer(req, target)
      .catch((error: unknown) => ({ answer: errorAnswer(500, 'INTERNAL', `broker simulator failed: ${error instanceof Error ? error.message : String(error)}`), key: undefined }))
      .then(outcome => outcome && this.send(res, target, outcome.answer, outcome.key, startedAt))
      // A scripted answer Node cannot write (status or header out of range) costs the caller its connection, never the server.
      .catch(() => res.destroy());
  }

  capturedOrderRequest(): CapturedRequest {
    if (!this.lastOrderRequest) throw new Error('no order request has reached the broker yet');
    return this.lastOrderRequest;
  }

  /** Check order: maintenance 503, body size 413, auth 401/403, rate limit 429, scripted fault, route. Null: no answer, ever. */
  private async answer(req: IncomingMessage, target: Target): Promise<{ answer: Answer; key?: string } | null> {
    const { auth, status, failures } = this.parts;
    if (!target.pathname.startsWith(`${API_PREFIX}/`)) return { answer: errorAnswer(404, 'NOT_FOUND', `no such path ${target.pathname}`) };
    if (failures.takeSwallowed(target)) return this.unanswered(target, 'request swallowed');
    const isStatus = target.method === 'GET' && target.pathname === `${API_PREFIX}/status`;
    if (!isStatus && status.inMaintenance) return { answer: status.maintenanceAnswer() };
    const body = await this.readBody(req);
    if (body === null) return { answer: errorAnswer(413, 'PAYLOAD_TOO_LARGE', `request body is over ${MAX_BODY_BYTES} bytes`, { connection: 'close' }) };
    if (isStatus) {
      const answer = this.afterGate(target, body, {});
      return answer && { answer };
    }
    if (target.method === 'POST' && target.pathname === `${API_PREFIX}/orders`) this.lastOrderRequest = { path: target.pathWithQuery, headers: authHeadersOf(req.headers), body };
    const gate = auth.gate(req.headers, target.method, target.pathWithQuery, body);
    if (!gate.ok) return { answer: gate.answer, key: gate.key };
    const answer = this.afterGate(target, body, gate.rateHeaders);
    return answer && { answer, key: gate.key };
  }

  private afterGate(target: Target, body: string, rateHeaders: Record<string, string>): Answer | null {
    const { failures, routes } = this.parts;
    const failure = failures.takeFailure(target);
    const answer = failure ?? routes.route(target, body);
    if (!failure && failures.takeLostAnswer(target)) return this.unanswered(target, 'answer lost');
    const raw = failure ? undefined : failures.takeRawAnswer(target);
    const final = raw ? { status: raw.status, body: raw.body, headers: {}, code: 'RAW' } : answer;
    return { ...final, headers: { ...final.headers, ...rateHeaders } };
  }

  /** The body as text, or null when it is over MAX_BODY_BYTES (the rest is discarded, never buffered). */
  private readBody(req: IncomingMessage): Promise<string | null> {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.resolve(null);
    return new Promise(resolve => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) {
          chunks.push(chunk);
          return;
        }
        req.off('data', onData);
        chunks.length = 0;
        resolve(null);
      };
      req.on('data', onData);
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', () => resolve(null));
    });
  }

  private send(res: ServerResponse, target: Target, answer: Answer, key: string | undefined, startedAt: number): void {
    if (res.headersSent || res.destroyed) return;
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(answer.body)),
      ...answer.headers,
    };
    if (target.pathname.startsWith(`${API_PREFIX}/`)) {
      headers[REPORT_SEQ_HEADER] = String(this.parts.reports.lastSeq);
      headers[REPORT_EPOCH_HEADER] = this.parts.reports.session;
    }
    res.writeHead(answer.status, headers);
    res.end(answer.body);
    this.parts.httpLog.record(target, answer, key, performance.now() - startedAt);
  }

  /** Scripted silence: no answer is ever written for this request. */
  private unanswered(target: Target, fault: string): null {
    this.parts.httpLog.recordUnanswered(target, fault);
    return null;
  }
}
