import { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { Clock } from '../../../domain/shared';
import { AUTH_HEADERS, RATE_LIMIT_HEADERS, signRequest } from '../../../domain/execution';
import { Answer, errorAnswer } from './answer';
import { RefillTime, TokenBucket } from './token-bucket';

export type BrokerPermission = 'read' | 'trade';

export interface BrokerCredential {
  key: string;
  secret: string;
  permissions: ReadonlyArray<BrokerPermission>;
}

export type RateLimit = { capacity: number; refillPerSecond: number };

/** Let through with the rate-limit headers its answer carries, or refused with the answer to send. */
export type Gate = { ok: true; key: string; rateHeaders: Record<string, string> } | { ok: false; answer: Answer; key?: string };

interface Account {
  secret: string;
  permissions: Set<BrokerPermission>;
  /** Nonces seen, with their timestamps, oldest first (pruned once outside the window). */
  nonces: Map<string, number>;
  bucket: TokenBucket;
}

export const DEFAULT_RECV_WINDOW_MS = 5000;
export const DEFAULT_RATE_LIMIT: RateLimit = { capacity: 50, refillPerSecond: 20 };
const TIMESTAMP_TEXT = /^\d{1,15}$/;

/** How an API key appears in logs: enough to tell keys apart, never the whole key. */
export function redactApiKey(key: string): string {
  return key.length <= 8 ? '****' : `${key.slice(0, 4)}****${key.slice(-4)}`;
}

/** The authentication headers of a request, as sent. */
export function authHeadersOf(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.values(AUTH_HEADERS)) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function signaturesEqual(expectedHex: string, givenHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'utf8');
  const given = Buffer.from(givenHex, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * The broker's API keys and what a signed request must prove (shared by REST and the user channel):
 * a known key, its signature, a timestamp within the receive window on the scenario's clock, a
 * nonce not used before, the permission the method needs, and a token from the key's bucket.
 */
export class RequestAuthenticator {
  private readonly accounts = new Map<string, Account>();

  constructor(
    private readonly clock: Clock,
    private readonly recvWindowMs: number,
    private rateLimit: RateLimit,
    private readonly refillTime?: RefillTime,
  ) {}

  gate(headers: IncomingHttpHeaders, method: string, pathWithQuery: string, body: string): Gate {
    const key = headerValue(headers, AUTH_HEADERS.key);
    const timestamp = headerValue(headers, AUTH_HEADERS.timestamp);
    const nonce = headerValue(headers, AUTH_HEADERS.nonce);
    const signature = headerValue(headers, AUTH_HEADERS.signature);
    if (!key || !timestamp || !nonce || !signature) return this.refuse(401, 'UNAUTHORIZED', 'missing authentication headers', key);
    const account = this.accounts.get(key);
    if (!account) return this.refuse(401, 'UNAUTHORIZED', 'unknown or revoked API key', key);
    if (!signaturesEqual(signRequest(account.secret, timestamp, nonce, method, pathWithQuery, body), signature)) {
      return this.refuse(401, 'BAD_SIGNATURE', 'signature does not match the request', key);
    }
    const timestampMs = TIMESTAMP_TEXT.test(timestamp) ? Number(timestamp) : Number.NaN;
    if (Number.isNaN(timestampMs)) return this.refuse(401, 'UNAUTHORIZED', `${AUTH_HEADERS.timestamp} must be milliseconds since the epoch`, key);
    const nowMs = this.clock.now().getTime();
    if (Math.abs(nowMs - timestampMs) > this.recvWindowMs) {
      return this.refuse(401, 'TIMESTAMP_OUTSIDE_WINDOW', `timestamp is ${nowMs - timestampMs} ms from the broker's clock; the window is ${this.recvWindowMs} ms`, key);
    }
    if (!this.acceptNonce(account, nonce, timestampMs, nowMs)) return this.refuse(401, 'NONCE_REUSED', 'nonce already used with this key', key);
    const needed: BrokerPermission = method === 'GET' || method === 'HEAD' ? 'read' : 'trade';
    if (!account.permissions.has(needed)) return this.refuse(403, 'PERMISSION_DENIED', `API key lacks the '${needed}' permission`, key);
    return this.takeToken(account, key);
  }

  addCredential(credential: BrokerCredential): void {
    this.accounts.set(credential.key, {
      secret: credential.secret,
      permissions: new Set(credential.permissions),
      nonces: new Map(),
      bucket: new TokenBucket(this.rateLimit.capacity, this.rateLimit.refillPerSecond, this.refillTime),
    });
  }

  /** A new limit for every key, each bucket starting full. */
  setRateLimit(limit: RateLimit): void {
    this.rateLimit = limit;
    for (const account of this.accounts.values()) account.bucket = new TokenBucket(limit.capacity, limit.refillPerSecond, this.refillTime);
  }

  revokeKey(key: string): void {
    this.accounts.delete(key);
  }

  /** Sets the key's permissions to exactly these (a scenario can take 'trade' away as well as give it). */
  grantPermissions(key: string, permissions: ReadonlyArray<BrokerPermission>): void {
    const account = this.accounts.get(key);
    if (!account) throw new Error(`BrokerServer: no API key ${redactApiKey(key)} to grant permissions to`);
    account.permissions = new Set(permissions);
  }

  private refuse(status: number, code: string, message: string, key: string | undefined): Gate {
    return { ok: false, answer: errorAnswer(status, code, message), key };
  }

  /** A nonce is single use within the window; older ones are forgotten since their timestamp already fails. */
  private acceptNonce(account: Account, nonce: string, timestampMs: number, nowMs: number): boolean {
    for (const [seen, seenAt] of account.nonces) {
      if (Math.abs(nowMs - seenAt) <= this.recvWindowMs) break;
      account.nonces.delete(seen);
    }
    if (account.nonces.has(nonce)) return false;
    account.nonces.set(nonce, timestampMs);
    return true;
  }

  private takeToken(account: Account, key: string): Gate {
    const limit = String(account.bucket.capacity);
    const taken = account.bucket.take();
    if (taken.ok) return { ok: true, key, rateHeaders: { [RATE_LIMIT_HEADERS.limit]: limit, [RATE_LIMIT_HEADERS.remaining]: String(taken.remaining) } };
    const headers = { [RATE_LIMIT_HEADERS.limit]: limit, [RATE_LIMIT_HEADERS.remaining]: '0', [RATE_LIMIT_HEADERS.retryAfter]: String(taken.retryAfterSeconds) };
    return { ok: false, key, answer: errorAnswer(429, 'RATE_LIMITED', `rate limit of ${limit} requests exceeded`, headers) };
  }
}
