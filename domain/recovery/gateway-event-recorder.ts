import { TradingLedger } from '../state';
import { Telemetry } from '../telemetry';
import { GatewayEvent } from '../execution';

export interface GatewayEventRecorderPorts {
  readonly ledger: TradingLedger;
  readonly telemetry: Telemetry;
  /** The broker orders go to now: only its missed reports need reading again. */
  readonly activeBroker: () => string;
  /** Read the active broker's orders and fills over REST; one already running is joined. */
  readonly synchronise: (trigger: string) => Promise<unknown>;
}

/**
 * What a broker's connection reported: each event recorded, counted, and answered by a
 * resynchronisation where reports may be missing (a reconnect, a gap, a new broker session, a
 * report out of order or refused).
 */
export class GatewayEventRecorder {
  private stopped = false;
  /** Brokers whose user channel dropped: reports may have been missed until the next resynchronisation (a restart recovers anyway, so this need not survive one). */
  private readonly channelsDown = new Set<string>();

  constructor(private readonly ports: GatewayEventRecorderPorts) {}

  /** Events after the system closed are not recorded: the log is closed. */
  stop(): void {
    this.stopped = true;
  }

  record(broker: string, event: GatewayEvent): void {
    if (this.stopped) return;
    const { ledger, telemetry } = this.ports;
    if (event.source === 'rest') {
      const { source: _source, type: _type, ...retry } = event;
      ledger.record({ type: 'BrokerRequestRetried', payload: { broker, ...retry } });
      telemetry.increment(`broker.retries.${event.errorKind}`);
      return;
    }
    switch (event.type) {
      case 'connected':
        ledger.record({ type: 'BrokerConnectionChanged', payload: { broker, channel: 'user', state: 'connected', reason: `welcome at report ${event.welcomeSeq}`, attempt: event.attempt } });
        // Reports sent while the channel was down are not replayed: read what happened over REST.
        if (this.channelsDown.delete(broker)) this.resynchronise(broker, 'reconnect');
        return;
      case 'lost':
        telemetry.increment('broker.channel.lost');
        this.channelsDown.add(broker);
        ledger.record({ type: 'BrokerConnectionChanged', payload: { broker, channel: 'user', state: 'lost', reason: event.reason } });
        return;
      case 'gave_up':
        telemetry.increment('broker.channel.gave_up');
        this.channelsDown.add(broker);
        ledger.record({ type: 'BrokerConnectionChanged', payload: { broker, channel: 'user', state: 'gave_up', reason: `${event.attempts} attempts: ${event.reason}` } });
        return;
      case 'sequence_gap':
        telemetry.increment('broker.channel.sequence_gaps');
        ledger.record({ type: 'BrokerSequenceAnomaly', payload: { broker, anomaly: 'gap', expected: event.expected, received: event.received } });
        this.resynchronise(broker, 'sequence gap');
        return;
      case 'session_changed':
        telemetry.increment('broker.channel.sessions_changed');
        ledger.record({
          type: 'BrokerSessionChanged',
          payload: { broker, channel: 'user', previousSession: event.previousSession, session: event.session, lastSeqBefore: event.lastSeqBefore, welcomeSeq: event.welcomeSeq },
        });
        // The new session's numbering says nothing about what the old one sent: read it over REST.
        this.resynchronise(broker, 'new broker session');
        return;
      case 'implausible_sequence':
        telemetry.increment('broker.channel.implausible_sequences');
        ledger.record({ type: 'BrokerSequenceAnomaly', payload: { broker, anomaly: 'implausible_jump', expected: event.lastSeq + 1, received: event.received } });
        this.resynchronise(broker, 'implausible sequence number');
        return;
      case 'out_of_order':
        telemetry.increment('broker.channel.out_of_order');
        ledger.record({ type: 'BrokerSequenceAnomaly', payload: { broker, anomaly: 'out_of_order', expected: event.lastSeq + 1, received: event.received, duplicate: event.duplicate } });
        // A dropped report that is not a provable repeat may be news the channel did not pass on.
        if (!event.duplicate) this.resynchronise(broker, 'out-of-order report');
        return;
      case 'message_rejected':
        telemetry.increment(`broker.channel.rejected.${event.error.kind}`);
        ledger.record({ type: 'BrokerMessageRejected', payload: { broker, channel: 'user', errorKind: event.error.kind, reason: event.error.message } });
        // The unreadable message may have been an order update: read the orders again over REST.
        this.resynchronise(broker, 'rejected message');
        return;
    }
  }

  private resynchronise(broker: string, trigger: string): void {
    if (broker !== this.ports.activeBroker()) return;
    void this.ports.synchronise(trigger).catch(() => undefined);
  }
}
