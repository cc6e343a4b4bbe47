import { isDeepStrictEqual } from 'node:util';
import { Decimal } from '../shared';
import { InstrumentRegistry } from '../model';
import { RuntimeSettings, StateProjection, StoredEvent, statePicture } from '../state';
import { worstGrossExposure, worstNetExposure, reservation } from '../risk';

/** One check of 4.5.2: whether it held, and what it saw. */
export interface ConsistencyCheck {
  readonly check: string;
  readonly passed: boolean;
  readonly detail: string;
}

export interface ConsistencyInputs {
  /** The log as the store holds it, and whether its chain verifies. */
  readonly events: readonly StoredEvent[];
  readonly chain: { ok: true; events: number } | { ok: false; events: number; brokenAt: number; problem: string };
  readonly live: StateProjection;
  readonly instruments: InstrumentRegistry;
  readonly defaultSettings: Readonly<Record<string, string>>;
  /** Counters since the system opened, and how many events it replayed then (the counters start at that point). */
  readonly counters: Readonly<Record<string, number>>;
  readonly eventsReplayed: number;
  /** The risk manager's own figures, to hold against a recomputation. */
  readonly risk: { gross: Decimal; net: Decimal; reservations: readonly { symbol: string; side: string; quantity: Decimal }[] };
}

/**
 * Counters held against the events of the same stage, each counted once when the event is
 * recorded: what telemetry says happened since start must be what the log says.
 */
export const COUNTED_EVENTS: readonly { counter: string; event: string; matches?: (e: StoredEvent) => boolean }[] = [
  { counter: 'orders.submitted', event: 'OrderSubmitted' },
  { counter: 'orders.acknowledged', event: 'OrderAcknowledged' },
  { counter: 'fills.applied', event: 'OrderFilled' },
  { counter: 'orders.rejected.risk', event: 'OrderRejected', matches: e => e.type === 'OrderRejected' && e.payload.stage === 'risk' },
  { counter: 'settings.changed', event: 'SettingsChanged' },
  { counter: 'broker.errors', event: 'BrokerErrorRecorded' },
  { counter: 'reconciliation.runs', event: 'ReconciliationCompleted' },
];

/** The data consistency checks of plan 4.5.2, on the log, the live state, telemetry, the settings, the risk figures and the times. */
export function checkConsistency(inputs: ConsistencyInputs, tolerances: { fillReceiptMs: number }): ConsistencyCheck[] {
  const rebuilt = new StateProjection(inputs.instruments, inputs.defaultSettings);
  let replayError: string | null = null;
  try {
    rebuilt.replay(inputs.events);
  } catch (error) {
    replayError = (error as Error).message;
  }
  return [
    chainCheck(inputs),
    replayCheck(inputs, rebuilt, replayError),
    telemetryCheck(inputs),
    settingsCheck(inputs),
    riskCheck(inputs, rebuilt),
    ...timestampChecks(inputs.events, tolerances.fillReceiptMs),
  ];
}

function chainCheck({ chain }: ConsistencyInputs): ConsistencyCheck {
  return chain.ok
    ? { check: 'event log hash chain', passed: true, detail: `${chain.events} events, sequence numbers without gaps, every hash links` }
    : { check: 'event log hash chain', passed: false, detail: `broken at seq ${chain.brokenAt}: ${chain.problem}` };
}

function replayCheck({ live }: ConsistencyInputs, rebuilt: StateProjection, replayError: string | null): ConsistencyCheck {
  if (replayError) return { check: 'replay equals the live state', passed: false, detail: `the log does not replay: ${replayError}` };
  const ours = statePicture(live);
  const replayed = statePicture(rebuilt);
  const differing = Object.keys({ ...ours, ...replayed }).filter(key => !isDeepStrictEqual(ours[key], replayed[key]));
  return differing.length === 0
    ? { check: 'replay equals the live state', passed: true, detail: `orders (${live.orders.size}), positions (${live.positions.size}), balances and settings (version ${live.settings.version}) rebuilt equal` }
    : { check: 'replay equals the live state', passed: false, detail: `differ: ${differing.join(', ')}` };
}

function telemetryCheck({ events, counters, eventsReplayed }: ConsistencyInputs): ConsistencyCheck {
  const since = events.filter(e => e.seq > eventsReplayed);
  const rows = COUNTED_EVENTS.map(({ counter, event, matches }) => {
    const logged = since.filter(e => (matches ? matches(e) : e.type === event)).length;
    const counted = counter === 'broker.errors' ? sumPrefix(counters, 'broker.errors.') : counters[counter] ?? 0;
    return { counter, event, logged, counted };
  });
  const off = rows.filter(r => r.logged !== r.counted);
  const shown = (r: (typeof rows)[number]) => `${r.counter} ${r.counted} / ${r.event} ${r.logged}`;
  return off.length === 0
    ? { check: 'telemetry agrees with the log', passed: true, detail: rows.map(shown).join('; ') }
    : { check: 'telemetry agrees with the log', passed: false, detail: `disagree: ${off.map(shown).join('; ')}` };
}

function sumPrefix(counters: Readonly<Record<string, number>>, prefix: string): number {
  return Object.entries(counters).filter(([k]) => k.startsWith(prefix)).reduce((total, [, n]) => total + n, 0);
}

function settingsCheck({ events, live, defaultSettings }: ConsistencyInputs): ConsistencyCheck {
  const replayed = new RuntimeSettings(defaultSettings);
  for (const e of events) if (e.type === 'SettingsChanged') replayed.apply(e.payload.version, e.payload.changes);
  const ours = live.settings.snapshot();
  const theirs = replayed.snapshot();
  const differing = Object.keys({ ...ours, ...theirs }).filter(k => ours[k] !== theirs[k]);
  if (replayed.version !== live.settings.version) differing.unshift(`version ${live.settings.version} against ${replayed.version}`);
  return differing.length === 0
    ? { check: 'runtime settings equal their replay', passed: true, detail: `version ${live.settings.version}, ${Object.keys(ours).length} settings` }
    : { check: 'runtime settings equal their replay', passed: false, detail: `differ: ${differing.join(', ')}` };
}

function riskCheck({ risk }: ConsistencyInputs, rebuilt: StateProjection): ConsistencyCheck {
  const working = rebuilt.workingOrders().map(reservation);
  const inputs = { positions: new Map([...rebuilt.positions.values()].map(p => [p.symbol, p.netQuantity] as const)), working, marks: rebuilt.marks };
  const gross = worstGrossExposure(inputs);
  const net = worstNetExposure(inputs);
  const key = (r: { symbol: string; side: string; quantity: Decimal }) => `${r.symbol} ${r.side} ${r.quantity.toString()}`;
  const ours = risk.reservations.map(key).sort();
  const theirs = working.map(key).sort();
  const problems = [
    ...(gross.eq(risk.gross) ? [] : [`gross exposure ${risk.gross.toString()} against ${gross.toString()} recomputed`]),
    ...(net.eq(risk.net) ? [] : [`net exposure ${risk.net.toString()} against ${net.toString()} recomputed`]),
    ...(isDeepStrictEqual(ours, theirs) ? [] : [`reservations [${ours.join(', ')}] against [${theirs.join(', ')}]`]),
  ];
  return problems.length === 0
    ? { check: 'risk figures equal a recomputation', passed: true, detail: `gross ${gross.toString()}, net ${net.toString()}, ${working.length} reservation(s)` }
    : { check: 'risk figures equal a recomputation', passed: false, detail: problems.join('; ') };
}

/** Events are in order of sequence and of time; a fill's broker time lies within the tolerance of its receipt. */
export function timestampChecks(events: readonly StoredEvent[], fillReceiptMs: number): ConsistencyCheck[] {
  const backwards: string[] = [];
  const late: string[] = [];
  let previous: StoredEvent | null = null;
  for (const e of events) {
    if (previous && (e.seq !== previous.seq + 1 || e.at < previous.at)) backwards.push(`seq ${e.seq} at ${e.at} after seq ${previous.seq} at ${previous.at}`);
    if (e.type === 'OrderFilled' && e.payload.brokerTime && !e.payload.fromHistory) {
      const gap = new Date(e.at).getTime() - new Date(e.payload.brokerTime).getTime();
      if (Number.isNaN(gap) || Math.abs(gap) > fillReceiptMs) late.push(`${e.payload.tradeId}: broker time ${e.payload.brokerTime}, received ${e.at} (${gap} ms)`);
    }
    previous = e;
  }
  return [
    backwards.length === 0
      ? { check: 'event times in order', passed: true, detail: `${events.length} events, each at or after the one before` }
      : { check: 'event times in order', passed: false, detail: backwards.slice(0, 5).join('; ') },
    late.length === 0
      ? { check: "fills' broker time against receipt", passed: true, detail: `every reported fill received within ${fillReceiptMs} ms of its broker time` }
      : { check: "fills' broker time against receipt", passed: false, detail: late.slice(0, 5).join('; ') },
  ];
}
