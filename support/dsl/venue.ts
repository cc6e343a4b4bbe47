import type { BrokerServer, BrokerSimulatorCore } from '../simulators/broker';
import type { BrokerConnection, BrokerFaults } from '../broker-connection';
import type { ScenarioContext } from './scenario-context';

/**
 * The broker or venue as the Gherkin speaks of it: its books and fills (the simulator), the faults
 * it is scripted to produce, and on the wire its server (the requests it answered, its channel).
 */
export class Venue {
  constructor(private readonly context: ScenarioContext) {}

  /** The broker's own books: orders, fills, positions, balance, market. */
  get books(): BrokerSimulatorCore {
    return this.context.broker;
  }

  /** Faults the order-flow scenarios script, on either transport. */
  get faults(): BrokerFaults {
    return this.context.connection.faults;
  }

  /** The broker's HTTP + WebSocket server: only on the wire. */
  get server(): BrokerServer {
    return serverOf(this.context.connection);
  }

  /** A route's server, by the name the system knows the route by (the broker, or a fallback). */
  serverOf(route: string): BrokerServer {
    return serverOf(this.context.route(route));
  }

  /** How many requests the broker has answered (counting those its bounded log no longer keeps). */
  requestsAnswered(): number {
    return this.server.httpLogDropped + this.server.httpLog.length;
  }

  /** Remember how many requests the broker had answered, to read the ones after it later. */
  rememberRequests(name: string): void {
    this.context.memory.remember('brokerRequests', name, this.requestsAnswered());
  }

  /** The requests answered since a remembered count. */
  requestsSince(name: string): BrokerServer['httpLog'] {
    const server = this.server;
    return server.httpLog.slice(Math.max(0, this.context.memory.recall('brokerRequests', name) - server.httpLogDropped));
  }
}

function serverOf(connection: BrokerConnection): BrokerServer {
  if (!connection.server) throw new Error('this step needs the broker on the wire (BROKER_TRANSPORT=wire); tag its scenario @wire-only');
  return connection.server;
}
