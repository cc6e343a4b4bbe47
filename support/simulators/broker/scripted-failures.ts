import { API_PREFIX, RATE_LIMIT_HEADERS } from '../../../domain/execution';
import { Answer, Target, errorAnswer } from './answer';

/** A canned error answer a scenario scripts in place of the broker's own. */
export interface ScriptedAnswer {
  status: number;
  code: string;
  message?: string;
  retryAfterSeconds?: number;
}

/** Which requests a scripted fault applies to; pathPrefix may be absolute or relative to API_PREFIX. */
export interface RequestMatch {
  method?: string;
  pathPrefix?: string;
}

interface ScriptedFault {
  remaining: number;
  answer: ScriptedAnswer;
  match: RequestMatch;
}

/** A body that replaces the broker's own answer, after the request was carried out. */
export interface RawAnswer {
  body: string;
  status: number;
  match: RequestMatch;
}

function matches(match: RequestMatch, target: Target): boolean {
  if (match.method && match.method.toUpperCase() !== target.method) return false;
  const prefix = match.pathPrefix;
  return !prefix || target.pathname.startsWith(prefix) || target.pathname.startsWith(`${API_PREFIX}${prefix}`);
}

/** Remove and report the first one-shot fault that matches this request. */
function takeMatch(pending: RequestMatch[], target: Target): boolean {
  const index = pending.findIndex(m => matches(m, target));
  if (index >= 0) pending.splice(index, 1);
  return index >= 0;
}

/** The REST faults a scenario scripts: each is used up by the requests it matches, first scripted first. */
export class ScriptedRestFailures {
  private readonly faults: ScriptedFault[] = [];
  private readonly rawAnswers: RawAnswer[] = [];
  private readonly swallowedRequests: RequestMatch[] = [];
  private readonly lostAnswers: RequestMatch[] = [];

  /** The next `count` matching requests get this answer after auth and rate limit, without reaching the core. */
  failNextRequests(count: number, answer: ScriptedAnswer, match: RequestMatch = {}): void {
    if (!Number.isInteger(count) || count < 1) throw new Error(`failNextRequests: count must be a positive integer, got ${count}`);
    this.faults.push({ remaining: count, answer, match });
  }

  /** The next matching request is carried out, then this body replaces the answer: the caller cannot know the outcome. */
  answerNextWithRaw(body: string, status = 200, match: RequestMatch = {}): void {
    this.rawAnswers.push({ body, status, match });
  }

  /** The next matching request is lost on its way: never authenticated, never carried out, never answered. */
  swallowNextRequest(match: RequestMatch = {}): void {
    this.swallowedRequests.push(match);
  }

  /** The next matching request is carried out, but its answer never leaves: the caller times out not knowing. */
  loseNextAnswer(match: RequestMatch = {}): void {
    this.lostAnswers.push(match);
  }

  /** The scripted error answer this request gets in place of the core's, if one is scripted for it. */
  takeFailure(target: Target): Answer | undefined {
    const index = this.faults.findIndex(f => matches(f.match, target));
    if (index < 0) return undefined;
    const fault = this.faults[index];
    fault.remaining -= 1;
    if (fault.remaining === 0) this.faults.splice(index, 1);
    const { status, code, message, retryAfterSeconds } = fault.answer;
    const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { [RATE_LIMIT_HEADERS.retryAfter]: String(retryAfterSeconds) };
    return errorAnswer(status, code, message ?? `scripted ${code}`, headers);
  }

  takeSwallowed(target: Target): boolean {
    return takeMatch(this.swallowedRequests, target);
  }

  takeLostAnswer(target: Target): boolean {
    return takeMatch(this.lostAnswers, target);
  }

  takeRawAnswer(target: Target): RawAnswer | undefined {
    const index = this.rawAnswers.findIndex(r => matches(r.match, target));
    return index < 0 ? undefined : this.rawAnswers.splice(index, 1)[0];
  }
}
