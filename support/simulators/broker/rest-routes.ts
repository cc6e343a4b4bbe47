import { TradingError } from '../../../domain/shared';
import {
  API_PREFIX,
  BrokerFill,
  MAX_BODY_BYTES,
  MAX_FILL_PAGE,
  RATE_LIMIT_HEADERS,
  decodeOrderRequest,
  decodeReplaceRequest,
  encodeBalance,
  encodeBook,
  encodeOrder,
  encodePosition,
  encodeReport,
  parseJson,
} from '../../../domain/execution';
import { BrokerQuery, BrokerQueryFailure, BrokerRejection, BrokerSimulatorCore } from './broker-core';
import { Answer, Target, errorAnswer, okAnswer } from './answer';
import { ServiceStatusSwitch } from './service-status';

interface Route {
  method: string;
  pattern: RegExp;
  handle: (params: string[], target: Target, body: string) => Answer;
}

/** {"fills":[],"cursor":<15 digits>,"more":false} and then some. */
const FILL_PAGE_ENVELOPE_BYTES = 64;

function isProtocolError(error: unknown): error is TradingError {
  return error instanceof TradingError && error.kind === 'ProtocolError';
}

/**
 * The REST API's routes under API_PREFIX, each answered by the core in wire-protocol.ts's encoding.
 * Beside wire-protocol.ts's list: GET /time -> 200 { time } (the broker's clock, an ISO-8601 UTC
 * instant) and GET /leverage -> 200 { leverage: [{ symbol, leverage }] } (a decimal string each).
 * A read the core refuses (failNext) is 503 SERVICE_UNAVAILABLE, or 429 RATE_LIMITED with Retry-After.
 */
export class RestRoutes {
  private readonly routes: Route[];

  constructor(
    private readonly core: BrokerSimulatorCore,
    private readonly status: ServiceStatusSwitch,
  ) {
    this.routes = this.buildRoutes();
  }

  route(target: Target, body: string): Answer {
    const path = target.pathname.slice(API_PREFIX.length);
    for (const route of this.routes) {
      const found = route.method === target.method ? route.pattern.exec(path) : null;
      if (found) return this.callCore(() => route.handle(found.slice(1).map(decodeURIComponent), target, body));
    }
    return errorAnswer(404, 'NOT_FOUND', `no route ${target.method} ${target.pathname}`);
  }

  private buildRoutes(): Route[] {
    const core = this.core;
    return [
      { method: 'GET', pattern: /^\/status$/, handle: () => this.status.statusAnswer() },
      { method: 'POST', pattern: /^\/orders\/cancel-all$/, handle: () => okAnswer({ cancelled: core.cancelAll() }) },
      { method: 'POST', pattern: /^\/orders$/, handle: (_p, _t, body) => this.placeOrder(body) },
      { method: 'GET', pattern: /^\/orders$/, handle: (_p, target) => this.listOrders(target.query) },
      { method: 'GET', pattern: /^\/orders\/([^/]+)$/, handle: ([id]) => this.query('getOrder', () => this.getOrder(id)) },
      { method: 'DELETE', pattern: /^\/orders\/([^/]+)$/, handle: ([id]) => this.cancelOrder(id) },
      { method: 'PATCH', pattern: /^\/orders\/([^/]+)$/, handle: ([id], _t, body) => okAnswer({ order: encodeOrder(core.replaceOrder(id, decodeReplaceRequest(parseJson(body, 'replace request')))) }) },
      { method: 'GET', pattern: /^\/positions$/, handle: () => this.query('positions', () => okAnswer({ positions: core.positions().map(encodePosition) })) },
      { method: 'GET', pattern: /^\/balance$/, handle: () => this.query('balance', () => okAnswer({ balance: encodeBalance(core.balance()) })) },
      { method: 'GET', pattern: /^\/fills$/, handle: (_p, target) => this.listFills(target.query) },
      { method: 'GET', pattern: /^\/time$/, handle: () => this.query('time', () => okAnswer({ time: core.time().toISOString() })) },
      { method: 'GET', pattern: /^\/leverage$/, handle: () => this.query('leverage', () => okAnswer({ leverage: core.leverage().map(l => ({ symbol: l.symbol, leverage: l.leverage.toString() })) })) },
      { method: 'GET', pattern: /^\/book\/([^/]+)$/, handle: ([symbol]) => okAnswer({ book: encodeBook({ symbol, ...core.book(symbol) }) }) },
    ];
  }

  /** The venue's refusals become 400s with its reason code (404 for an unknown order); bad input is INVALID_REQUEST. */
  private callCore(run: () => Answer): Answer {
    try {
      return run();
    } catch (error) {
      if (error instanceof BrokerRejection) return errorAnswer(error.code === 'UNKNOWN_ORDER' ? 404 : 400, error.code, error.message);
      if (error instanceof BrokerQueryFailure) {
        return error.kind === 'unavailable' ? errorAnswer(503, 'SERVICE_UNAVAILABLE', error.message) : errorAnswer(429, 'RATE_LIMITED', error.message, { [RATE_LIMIT_HEADERS.retryAfter]: '1' });
      }
      if (isProtocolError(error)) return errorAnswer(400, 'INVALID_REQUEST', error.message);
      if (error instanceof URIError) return errorAnswer(400, 'INVALID_REQUEST', 'path is not valid percent-encoding');
      throw error;
    }
  }

  /** A read the core answers through its API, where a scripted failure strikes. */
  private query(query: BrokerQuery, answer: () => Answer): Answer {
    return this.core.answerQuery(query, answer);
  }

  private placeOrder(body: string): Answer {
    const request = decodeOrderRequest(parseJson(body, 'order request'));
    const { order, duplicate } = this.core.placeOrder({
      clientOrderId: request.clientOrderId,
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      quantity: request.quantityValue,
      limitPrice: request.limitPriceValue,
      reduceOnly: request.reduceOnly,
    });
    return okAnswer({ order: encodeOrder(order), duplicate });
  }

  private cancelOrder(clientOrderId: string): Answer {
    const outcome = this.core.cancelOrder(clientOrderId);
    if (!outcome.beforeArrival) return okAnswer({ order: encodeOrder(outcome.order) });
    return okAnswer({ cancelledBeforeArrival: { clientOrderId: outcome.clientOrderId, at: outcome.at } });
  }

  private getOrder(clientOrderId: string): Answer {
    const order = this.core.getOrder(clientOrderId);
    return order ? okAnswer({ order: encodeOrder(order) }) : errorAnswer(404, 'UNKNOWN_ORDER', `no order ${clientOrderId}`);
  }

  /** ?status=open lists working orders; no status lists every order the broker knows. */
  private listOrders(query: URLSearchParams): Answer {
    const status = query.get('status');
    if (status !== null && status !== 'open') return errorAnswer(400, 'INVALID_REQUEST', `status filter "${status}" is not supported (only "open")`);
    const orders = status === 'open' ? this.core.answerQuery('openOrders', () => this.core.openOrders()) : this.core.allOrders();
    return okAnswer({ orders: orders.map(encodeOrder) });
  }

  /** A page of the fill history, cut short of MAX_BODY_BYTES: a client that guards its answers can always read one. */
  private listFills(query: URLSearchParams): Answer {
    for (const name of query.keys()) {
      if (name !== 'since' && name !== 'limit') return errorAnswer(400, 'INVALID_REQUEST', `unknown parameter "${name}": only since and limit`);
      if (query.getAll(name).length > 1) return errorAnswer(400, 'INVALID_REQUEST', `${name} is given more than once`);
    }
    const since = query.get('since') ?? '0';
    const limit = query.get('limit') ?? String(MAX_FILL_PAGE);
    if (!/^\d{1,15}$/.test(since)) return errorAnswer(400, 'INVALID_REQUEST', `since must be a whole number, got "${since}"`);
    if (!/^\d{1,15}$/.test(limit) || Number(limit) < 1) return errorAnswer(400, 'INVALID_REQUEST', `limit must be a whole number of at least 1, got "${limit}"`);
    const encoded: string[] = [];
    let bytes = FILL_PAGE_ENVELOPE_BYTES;
    const hasRoom = (fill: BrokerFill): boolean => {
      const text = JSON.stringify(encodeReport(fill));
      if (bytes + Buffer.byteLength(text) + 1 > MAX_BODY_BYTES && encoded.length > 0) return false;
      bytes += Buffer.byteLength(text) + 1;
      encoded.push(text);
      return true;
    };
    const page = this.core.answerQuery('fills', () => this.core.servedFillPage(Number(since), Number(limit), hasRoom));
    return { status: 200, body: `{"fills":[${encoded.join(',')}],"cursor":${page.cursor},"more":${page.more}}`, headers: {} };
  }
}
