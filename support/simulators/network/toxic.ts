/** What a scenario asks of the proxy: a toxic, the link it acts on and how often it acts. */

export type ToxicStream = 'upstream' | 'downstream';

export type ToxicSpec =
  | { type: 'latency'; latencyMs: number; jitterMs?: number }
  | { type: 'bandwidth'; kbPerSecond: number }
  | { type: 'slicer'; averageSize: number; sizeVariation?: number; delayMs?: number }
  | { type: 'timeout'; timeoutMs: number }
  | { type: 'reset_peer'; timeoutMs: number }
  | { type: 'limit_data'; bytes: number }
  | { type: 'slow_close'; delayMs: number };

export type ToxicType = ToxicSpec['type'];

export interface Toxic {
  name: string;
  stream: ToxicStream;
  /** 0..1; whether the toxic acts on a connection is drawn once per connection, as toxiproxy does. */
  toxicity: number;
  spec: ToxicSpec;
}

export type ToxicRequest = Omit<Toxic, 'toxicity' | 'name'> & { name?: string; toxicity?: number };

export type SpecOf<T extends ToxicType> = Extract<ToxicSpec, { type: T }>;
