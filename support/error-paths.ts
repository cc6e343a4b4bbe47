import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { ERROR_KIND_MEANINGS } from '../domain/shared/errors';
import { REJECTION_CODE_MEANINGS } from '../domain/risk/rejection-codes';
import { BREAKER_FAILURE_MEANINGS } from '../domain/breakers/breaker-failure';
import { HEALTH_FAILURE_MEANINGS } from '../domain/breakers/health-check';

/**
 * The error paths of the domain: every error kind and every denial or failure code it can name,
 * and, per scenario, which of them an event on record or an error a step was given carried. A code
 * counts only where something in a scenario carried it; what no scenario produces is a gap.
 */
export type CodeKind = 'error kind' | 'rejection code' | 'breaker failure' | 'health check failure';

export interface CodeList {
  readonly kind: CodeKind;
  /** Where the list is declared: the union type and the record of meanings beside it. */
  readonly declaredIn: string;
  readonly meanings: Readonly<Record<string, string>>;
}

/** The domain's lists of codes, each with its meanings; a new list belongs here too (a unit test looks for one that is not). */
export const CODE_LISTS: readonly CodeList[] = [
  { kind: 'error kind', declaredIn: 'domain/shared/errors.ts', meanings: ERROR_KIND_MEANINGS },
  { kind: 'rejection code', declaredIn: 'domain/risk/rejection-codes.ts', meanings: REJECTION_CODE_MEANINGS },
  { kind: 'breaker failure', declaredIn: 'domain/breakers/breaker-failure.ts', meanings: BREAKER_FAILURE_MEANINGS },
  { kind: 'health check failure', declaredIn: 'domain/breakers/health-check.ts', meanings: HEALTH_FAILURE_MEANINGS },
];

export interface CatalogueEntry {
  readonly code: string;
  readonly kind: CodeKind;
  readonly meaning: string;
}

export const ERROR_PATH_CATALOGUE: readonly CatalogueEntry[] = CODE_LISTS.flatMap(({ kind, meanings }) =>
  Object.entries(meanings).map(([code, meaning]) => ({ code, kind, meaning })),
);

const isCode = (kind: CodeKind, code: unknown): code is string =>
  typeof code === 'string' && CODE_LISTS.some(list => list.kind === kind && Object.hasOwn(list.meanings, code));

/** A code something carried, and what carried it: an event type, or "raised error". */
export interface CarriedCode {
  readonly kind: CodeKind;
  readonly code: string;
  readonly by: string;
}

/** The kinds of `code` field a payload holds: a failed check's denial, a breaker's failure, a health check's. */
const CODE_FIELD_KINDS: readonly CodeKind[] = ['rejection code', 'breaker failure', 'health check failure'];

/**
 * The codes an event carries, wherever its payload holds them: `errorKind`, the kinds of a
 * `causeChain`, `rejectionCode`, the `code` of a failed row or refusal, and the `reasonCode` of a
 * refusal at the risk stage (at the broker stage it is the venue's own code, no code of ours).
 */
export function codesCarriedBy(event: { readonly type: string; readonly payload: unknown }): CarriedCode[] {
  const found: CarriedCode[] = [];
  const add = (kind: CodeKind, code: unknown) => {
    if (isCode(kind, code)) found.push({ kind, code, by: event.type });
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const fields = node as Record<string, unknown>;
    add('error kind', fields.errorKind);
    if (Array.isArray(fields.causeChain)) fields.causeChain.forEach(kind => add('error kind', kind));
    add('rejection code', fields.rejectionCode);
    if (fields.passed !== true) for (const kind of CODE_FIELD_KINDS) add(kind, fields.code);
    for (const value of Object.values(fields)) if (value !== null && typeof value === 'object') visit(value);
  };
  visit(event.payload);
  const payload = event.payload as { stage?: unknown; reasonCode?: unknown };
  if (event.type === 'OrderRejected' && payload.stage === 'risk') add('rejection code', payload.reasonCode);
  return found;
}

const DOMAIN_DIR = resolve(__dirname, '..', 'domain') + sep;
const ERRORS_FILE = join(DOMAIN_DIR, 'shared', 'errors.ts');

/** Raised in the domain: passed on by one of its layers, or made there (the first frame past the error's own constructor is in domain/). */
function raisedByDomain(error: Error): boolean {
  if ((error as { layer?: unknown }).layer !== undefined) return true;
  const frames = (error.stack ?? '').split('\n').filter(line => line.trimStart().startsWith('at '));
  const origin = frames.find(frame => !frame.includes(ERRORS_FILE));
  return origin !== undefined && origin.includes(DOMAIN_DIR);
}

/** The error kinds an error a step was given carries, down its causes; a simulator's or the test's own errors do not count. */
export function codesOfRaisedError(error: unknown): CarriedCode[] {
  const found: CarriedCode[] = [];
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const { kind } = current as { kind?: unknown };
    if (isCode('error kind', kind) && raisedByDomain(current)) found.push({ kind: 'error kind', code: kind, by: 'raised error' });
  }
  return found;
}

/** What one worker writes: each scenario it ran, with the codes carried in it (none is a fact too). */
export interface WorkerErrorPaths {
  readonly worker: string;
  readonly scenarios: { readonly scenario: string; readonly codes: CarriedCode[] }[];
}

/**
 * One worker's record, written again after every scenario (to a temporary file, then renamed), so
 * it is whole at any moment and needs no AfterAll to reach the disk.
 */
export class ErrorPathCollector {
  private readonly scenarios = new Map<string, Map<string, CarriedCode>>();

  constructor(
    private readonly file: string,
    private readonly worker: string,
  ) {}

  record(scenario: string, carried: readonly CarriedCode[]): void {
    const codes = this.scenarios.get(scenario) ?? new Map<string, CarriedCode>();
    for (const c of carried) codes.set(`${c.kind}|${c.code}|${c.by}`, c);
    this.scenarios.set(scenario, codes);
  }

  report(): WorkerErrorPaths {
    return { worker: this.worker, scenarios: [...this.scenarios].map(([scenario, codes]) => ({ scenario, codes: [...codes.values()] })) };
  }

  write(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const partial = `${this.file}.partial`;
    writeFileSync(partial, JSON.stringify(this.report(), null, 2));
    renameSync(partial, this.file);
  }
}

export const ERROR_PATHS_DIR = join('reports', 'error-paths');
