import { randomUUID } from 'node:crypto';
import { Decimal } from '../../../domain/shared';
import { BrokerFill, BrokerReport, encodeReport } from '../../../domain/execution';
import { BoundedLog } from '../bounded-log';
import { BrokerSimulatorCore } from './broker-core';

const SENT_FRAME_HISTORY = 1000;

/**
 * The core's reports as user-channel frames: one sequence number across connections within a session
 * (epoch), numbered from 1 again in each new session, and the numbering and fill faults a scenario
 * scripts on them.
 */
export class ReportStream {
  private seq = 0;
  /** The session this process run numbers its reports in; a new one on every start. */
  private epoch = '';
  /** For each scripted misnumbering: how far below the last seq the next report frame goes out. */
  private readonly reusedSequences: number[] = [];
  private readonly sentFrames = new BoundedLog<{ seq: number; report: Record<string, unknown> }>(SENT_FRAME_HISTORY);
  private sequencesToSkip = 0;
  private reportsToGarble = 0;
  private fillsToSuppress = 0;
  private misreportedFillPrice: Decimal | null = null;

  constructor(
    private readonly core: BrokerSimulatorCore,
    /** Sends a frame on every open user channel. */
    readonly broadcast: (text: string) => void,
  ) {}

  /** The last seq a report frame took in this session. */
  get lastSeq(): number {
    return this.seq;
  }

  get session(): string {
    return this.epoch;
  }

  /** A broker process start: a new epoch, reports numbered from 1, no frame of the old session to resend. */
  newSession(): void {
    this.epoch = randomUUID();
    this.seq = 0;
    this.sentFrames.clear();
  }

  welcomeFrame(): string {
    return JSON.stringify({ type: 'welcome', seq: this.seq, epoch: this.epoch });
  }

  onCoreReport(sequenced: BrokerReport & { seq: number }): void {
    const { seq: _coreSeq, ...plain } = sequenced;
    const report = plain as BrokerReport;
    if (report.type === 'fill' && this.fillsToSuppress > 0) {
      this.fillsToSuppress -= 1;
      return;
    }
    this.sendReport(encodeReport(this.maybeMisreport(report)));
  }

  skipNextSequence(): void {
    this.sequencesToSkip += 1;
  }

  /** The next report frame uses up its seq but arrives cut in half: not JSON, so the client cannot read it. */
  garbleNextReport(): void {
    this.reportsToGarble += 1;
  }

  suppressNextFill(): void {
    this.fillsToSuppress += 1;
  }

  misreportNextFillPrice(price: Decimal): void {
    this.misreportedFillPrice = price;
  }

  /** Send again the last report frame whose seq is at most (last seq - seqBack): a lower, already used seq. */
  resendOldFrame(seqBack = 1): void {
    const highest = this.seq - seqBack;
    const frame = this.sentFrames.toArray().reverse().find(f => f.seq <= highest);
    if (!frame) throw new Error(`resendOldFrame: no report frame at or below seq ${highest} was sent`);
    this.broadcast(JSON.stringify({ type: 'report', seq: frame.seq, epoch: this.epoch, report: frame.report }));
  }

  /** The next report frame goes out under an already used seq (last seq - seqBack) and uses up no new one. */
  reuseSequenceForNextReport(seqBack = 0): void {
    if (!Number.isInteger(seqBack) || seqBack < 0) throw new Error(`reuseSequenceForNextReport: seqBack must be a whole number, got ${seqBack}`);
    this.reusedSequences.push(seqBack);
  }

  redeliverLastFill(): void {
    const fills = this.core.fillHistory();
    const last = fills[fills.length - 1];
    if (!last) throw new Error(`broker ${this.core.name} has no fill to send again`);
    this.sendReport(encodeReport(last));
  }

  sendForgedFill(fill: BrokerFill): void {
    this.sendReport(encodeReport(fill));
  }

  private maybeMisreport(report: BrokerReport): BrokerReport {
    // Only a frame that arrives intact carries the wrong price.
    if (report.type !== 'fill' || !this.misreportedFillPrice || this.sequencesToSkip > 0 || this.reportsToGarble > 0) return report;
    const price = this.misreportedFillPrice;
    this.misreportedFillPrice = null;
    return { ...report, price };
  }

  /** Every report frame takes the next seq, even one a scripted gap keeps from being sent. */
  private sendReport(report: Record<string, unknown>): void {
    const seqBack = this.reusedSequences.shift();
    if (seqBack !== undefined) {
      // A misnumbered frame: it repeats a used seq, so neither the seq nor the history moves.
      return this.broadcast(JSON.stringify({ type: 'report', seq: Math.max(1, this.seq - seqBack), epoch: this.epoch, report }));
    }
    const seq = ++this.seq;
    if (this.sequencesToSkip > 0) {
      this.sequencesToSkip -= 1;
      return;
    }
    const frame = JSON.stringify({ type: 'report', seq, epoch: this.epoch, report });
    if (this.reportsToGarble > 0) {
      this.reportsToGarble -= 1;
      return this.broadcast(frame.slice(0, Math.floor(frame.length / 2)));
    }
    this.sentFrames.push({ seq, report });
    this.broadcast(frame);
  }
}
