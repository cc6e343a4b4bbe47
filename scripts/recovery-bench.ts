/**
 * Recovery over the wire: a trading system restarts on its SQLite log with N fills at the broker it
 * has not seen (all on orders the log knows), reads the broker's fill history in pages over signed
 * loopback HTTP and applies every fill; then it restarts again and asks only from its last cursor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WireRecoveryRig } from '../support/wire-recovery-rig';
import { BenchFigure, BenchSection, valueFigure } from './bench-figures';

/** The plan's target for a recovery, in microseconds (5 s). */
export const RECOVERY_TARGET_US = 5_000_000;

const FILLS_PER_ORDER = 1000;
const NEW_FILLS_AFTER = 100;

const ms = (value: number) => `${Math.round(value).toLocaleString('en-US')} ms`;

async function recoverOnce(rig: WireRecoveryRig): Promise<{ openMs: number; syncMs: number; applied: number; pages: number; readMs: number }> {
  rig.historyReads.requests = 0;
  rig.historyReads.ms = 0;
  const { openMs } = await rig.start();
  const started = performance.now();
  const report = await rig.system.recover();
  const syncMs = performance.now() - started;
  const { system, broker } = rig.books();
  if (JSON.stringify(system) !== JSON.stringify(broker)) throw new Error(`recovery left the books apart: ${JSON.stringify({ system, broker })}`);
  return { openMs, syncMs, applied: report.fillsRecovered, pages: rig.historyReads.requests, readMs: rig.historyReads.ms };
}

export async function recoveryBenchmark(fillCounts: readonly number[]): Promise<BenchSection> {
  const figures: BenchFigure[] = [];
  const out = ['recovery over the wire (loopback HTTP, signed, pages of the fill history; SQLite synchronous FULL), fills on orders the log knows'];
  for (const fills of fillCounts) {
    const dir = mkdtempSync(join(tmpdir(), 'trading-recovery-bench-'));
    const pairs = Math.ceil(fills / FILLS_PER_ORDER / 2);
    const rig = new WireRecoveryRig({ dir, cash: pairs * 1_000_000 });
    try {
      await rig.open();
      // Each order has room for its share of the fills and for the few booked before the second restart.
      await rig.placeRestingOrders(pairs, '1.1');
      await rig.crash();
      rig.bookFills(fills);
      const first = await recoverOnce(rig);
      await rig.crash();
      rig.bookFills(NEW_FILLS_AFTER);
      const again = await recoverOnce(rig);
      const n = fills.toLocaleString('en-US');
      figures.push(
        valueFigure(`recovery, ${n} fills, first sync from an empty cursor`, 'us', first.applied, (first.openMs + first.syncMs) * 1000, { target: RECOVERY_TARGET_US }),
        valueFigure(`recovery, ${n} fills, restart from its last cursor`, 'us', again.applied, (again.openMs + again.syncMs) * 1000, { target: RECOVERY_TARGET_US }),
      );
      out.push(
        `${n.padStart(7)} fills at the broker, first sync from an empty cursor: ${ms(first.openMs + first.syncMs)} (open ${ms(first.openMs)}, synchronise ${ms(first.syncMs)}: ${first.pages} pages read in ${ms(first.readMs)}, ${first.applied.toLocaleString('en-US')} fills applied)`,
        `${n.padStart(7)} fills at the broker, restart from its last cursor, ${NEW_FILLS_AFTER} new fills: ${ms(again.openMs + again.syncMs)} (open and replay the log ${ms(again.openMs)}, synchronise ${ms(again.syncMs)}: ${again.pages} page, ${again.applied} fills applied)`,
      );
    } finally {
      await rig.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { figures, lines: out };
}

if (require.main === module) {
  recoveryBenchmark((process.env.RECOVERY_FILLS ?? '10000,100000').split(',').map(Number))
    .then(({ lines }) => lines.forEach(line => console.log(line)))
    .catch(error => {
      console.error(error);
      process.exitCode = 1;
    });
}
