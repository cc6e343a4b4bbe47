import { IncomingMessage } from 'node:http';

/** An answer the broker writes: on an HTTP response, or straight on the socket of a refused handshake. */
export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
  code?: string;
}

/** The request an answer is for, as the broker reads its first line. */
export interface Target {
  method: string;
  /** Path with query exactly as sent: what the caller signed. */
  pathWithQuery: string;
  pathname: string;
  query: URLSearchParams;
}

export function errorAnswer(status: number, code: string, message: string, headers: Record<string, string> = {}): Answer {
  return { status, code, body: JSON.stringify({ code, message }), headers };
}

export function okAnswer(payload: Record<string, unknown>): Answer {
  return { status: 200, body: JSON.stringify(payload), headers: {} };
}

export function targetOf(req: IncomingMessage): Target {
  const pathWithQuery = req.url ?? '/';
  const url = new URL(pathWithQuery, 'http://127.0.0.1');
  return { method: (req.method ?? 'GET').toUpperCase(), pathWithQuery, pathname: url.pathname, query: url.searchParams };
}
