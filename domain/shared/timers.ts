/**
 * Where the transport runs its timers: the wall clock in production. A test may run them on a time
 * of its own, so a deadline it knows has passed (an answer it withheld) need not be waited out.
 */
export interface Timers {
  /** Calls expire once ms have passed without an answer, unless the returned function is called first: a request's timeout, a silence allowance. */
  deadline(ms: number, expire: () => void): () => void;
  /** Calls resume once ms have passed, unless the returned function is called first: a wait the system chose (a backoff, a Retry-After). */
  delay(ms: number, resume: () => void): () => void;
}

function wallTimer(ms: number, fire: () => void): () => void {
  const timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
}

/** Timers on the wall clock. */
export const WALL_CLOCK_TIMERS: Timers = { deadline: wallTimer, delay: wallTimer };
