import { inspect } from 'node:util';

interface RaisedError {
  readonly by: string;
  readonly error: Error;
  checked: boolean;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(inspect(error));
}

/**
 * Errors a scenario has to account for: the error a When raised (kept for the Then that checks it)
 * and the failures of work a step started without waiting for it. One no Then checked fails the
 * scenario in the After hook, so a refusal that was not the one the Gherkin speaks of cannot pass.
 */
export class RaisedErrors {
  private readonly errors: RaisedError[] = [];

  /** Run what a When asks; an error it raises is kept for a Then instead of failing the step. */
  async attempt<T>(by: string, work: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      this.errors.push({ by, error: asError(error), checked: false });
      return undefined;
    }
  }

  /** Work a step does not wait for: its failure, if any, is kept the same way. */
  background(by: string, work: Promise<unknown>): void {
    work.catch(error => this.record(`${by} (in the background)`, error));
  }

  /** An error raised where no step can catch it (a listener to the system's events): kept the same way. */
  record(by: string, error: unknown): void {
    this.errors.push({ by, error: asError(error), checked: false });
  }

  /** The latest error the step named raised, now checked; fails saying what raised the errors there are. */
  take(by: string): Error {
    const latest = this.errors.filter(r => r.by === by).pop();
    if (!latest) {
      const raised = this.errors.map(r => `"${r.by}"`).join(', ');
      throw new Error(`${by} raised no error in this scenario (errors raised by: ${raised || 'none'})`);
    }
    latest.checked = true;
    return latest.error;
  }

  /** Every error raised, checked or not: what the error-path table counts. */
  all(): readonly Error[] {
    return this.errors.map(r => r.error);
  }

  /** What no Then looked at, one line each. */
  unchecked(): string[] {
    return this.errors.filter(r => !r.checked).map(r => `${r.by}: ${r.error.name}: ${r.error.message}`);
  }
}
