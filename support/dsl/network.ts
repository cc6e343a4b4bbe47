import type { FaultProxy } from '../simulators/network';
import type { BrokerConnection } from '../broker-connection';
import type { ScenarioContext } from './scenario-context';

/** The network between the trading system and the broker: the TCP fault proxy on the link, and the system's end of it. */
export class Network {
  constructor(private readonly context: ScenarioContext) {}

  /** The fault proxy on the link to the broker: only on the wire. */
  get link(): FaultProxy {
    return proxyOf(this.context.connection.proxy);
  }

  /** The link of a route, by the name the system knows it by. */
  linkOf(route: string): FaultProxy {
    return proxyOf(this.context.route(route).proxy);
  }

  /** The system's end of the link (its user channel and REST client): only on the wire. */
  get gateway(): BrokerConnection['wire'] {
    return this.context.connection.wire;
  }
}

function proxyOf(proxy: FaultProxy | null): FaultProxy {
  if (!proxy) throw new Error('this step needs the broker on the wire (BROKER_TRANSPORT=wire); tag its scenario @wire-only');
  return proxy;
}
