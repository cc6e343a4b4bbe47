import type { CancelResult, ConsistencyCheck, DiscrepancyRecord, InFlightResolution, ModifyResult, PlaceResult, ReconciliationRunPayload, RecoveryReport, ResetOutcome, SizingResult, StateSnapshot } from '../sut';

/**
 * What a scenario remembers, by kind, under the names its Gherkin uses ("the working order",
 * "before the crash"). One typed place instead of loose fields: a step recalls a name another step
 * gave, and a name nobody gave fails saying which names there are.
 */
export interface Remembered {
  /** An order's client order id. */
  readonly order: string;
  /** A position in the event log (the sequence number of its latest event then). */
  readonly logMark: number;
  readonly settingsVersion: number;
  readonly snapshot: StateSnapshot;
  /** How many requests the broker had answered then. */
  readonly brokerRequests: number;
  readonly placement: PlaceResult;
  /** Placements in the order their answers came. */
  readonly placements: readonly PlaceResult[];
  readonly basket: readonly PlaceResult[];
  readonly cancellation: CancelResult;
  readonly modification: ModifyResult;
  readonly sizing: SizingResult;
  readonly recovery: RecoveryReport;
  readonly inFlightResolution: InFlightResolution;
  readonly reset: ResetOutcome;
  readonly httpAnswer: { readonly status: number; readonly body: string };
  /** Net quantity by symbol and the cash, as the system knew them then. */
  readonly cashAndPositions: { readonly positions: Readonly<Record<string, string>>; readonly cash: string };
  readonly reconciliation: ReconciliationRunPayload;
  readonly 'reconciliation refusal': unknown;
  readonly consistency: readonly ConsistencyCheck[];
  readonly 'consistency check': ConsistencyCheck;
  readonly 'reconciliation row': DiscrepancyRecord;
}

export type MemoryKind = keyof Remembered;

/** The name under which the latest of a kind is kept ("the last placement", "the last cancellation"). */
export const LATEST = 'latest';

export class ScenarioMemory {
  private readonly entries = new Map<MemoryKind, Map<string, unknown>>();

  remember<K extends MemoryKind>(kind: K, name: string, value: Remembered[K]): Remembered[K] {
    let named = this.entries.get(kind);
    if (!named) this.entries.set(kind, (named = new Map()));
    named.set(name, value);
    return value;
  }

  recall<K extends MemoryKind>(kind: K, name: string = LATEST): Remembered[K] {
    const named = this.entries.get(kind);
    if (!named?.has(name)) {
      const known = named ? [...named.keys()].map(n => `"${n}"`).join(', ') : 'none';
      throw new Error(`this scenario has no ${kind} called "${name}" (${kind}s remembered: ${known})`);
    }
    return named.get(name) as Remembered[K];
  }

  has(kind: MemoryKind, name: string = LATEST): boolean {
    return this.entries.get(kind)?.has(name) ?? false;
  }
}
