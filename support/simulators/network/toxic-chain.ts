import { Toxic, ToxicRequest } from './toxic';
import { validateToxic } from './toxics';

/**
 * The proxy's toxics, in the order they were added, and the ones spared for new connections: those
 * still act on (and hold the bytes of) the connections that had them, until they are removed.
 */
export class ToxicChain {
  private readonly chain: Toxic[] = [];
  /** Toxics taken off the chain for new connections but still acting on the connections that had them. */
  private readonly lingering = new Map<string, Toxic>();

  constructor(private readonly proxyName: string) {}

  /** What a connection accepted now gets, in chain order. */
  get forNewConnections(): readonly Toxic[] {
    return this.chain;
  }

  /** Every toxic still known by name: on the chain first, then the spared ones. */
  get names(): string[] {
    return [...this.chain.map(toxic => toxic.name), ...this.lingering.keys()];
  }

  snapshot(): readonly Toxic[] {
    return this.chain.map(toxic => ({ ...toxic, spec: { ...toxic.spec } }));
  }

  add(request: ToxicRequest): Toxic {
    const toxic: Toxic = {
      name: request.name ?? `${request.spec.type}_${request.stream}`,
      stream: request.stream,
      toxicity: request.toxicity ?? 1,
      spec: { ...request.spec },
    };
    validateToxic(toxic);
    if (this.chain.some(existing => existing.name === toxic.name) || this.lingering.has(toxic.name)) {
      throw new Error(`fault proxy ${this.proxyName} already has a toxic named ${toxic.name}`);
    }
    this.chain.push(toxic);
    return toxic;
  }

  remove(name: string): void {
    const index = this.chain.findIndex(toxic => toxic.name === name);
    if (index < 0 && !this.lingering.delete(name)) throw new Error(`fault proxy ${this.proxyName} has no toxic named ${name}`);
    if (index >= 0) this.chain.splice(index, 1);
  }

  spareNewConnections(name: string): void {
    const index = this.chain.findIndex(toxic => toxic.name === name);
    if (index < 0) throw new Error(`fault proxy ${this.proxyName} has no toxic named ${name}`);
    this.lingering.set(name, this.chain.splice(index, 1)[0]);
  }
}
