/** Work a breaker part has under way, with what it is in a person's words, for a wait that gives up to say what was still running. */
export interface BreakerWork {
  readonly what: string;
  readonly done: Promise<unknown>;
}
