import { requireNumber } from '../number-checks';
import { Toxic } from '../toxic';
import { BandwidthStage, validateBandwidth } from './bandwidth';
import { LatencyStage, validateLatency } from './latency';
import { LimitDataStage, validateLimitData } from './limit-data';
import { ResetPeerStage, validateResetPeer } from './reset-peer';
import { SlicerStage, validateSlicer } from './slicer';
import { SlowCloseStage, validateSlowClose } from './slow-close';
import { TimeoutStage, validateTimeout } from './timeout';
import { PassThroughStage, StageLink, ToxicStage } from './toxic-stage';

/** Every toxic type the proxy knows, as toxiproxy registers its toxics: a new type adds a case to both switches. */

export function validateToxic(toxic: Toxic): void {
  const label = `toxic ${toxic.name}`;
  if (toxic.stream !== 'upstream' && toxic.stream !== 'downstream') {
    throw new RangeError(`${label}: stream must be upstream or downstream, got ${String(toxic.stream)}`);
  }
  requireNumber(`${label}: toxicity`, toxic.toxicity, 0, 1);
  const spec = toxic.spec;
  switch (spec.type) {
    case 'latency':
      return validateLatency(label, spec);
    case 'bandwidth':
      return validateBandwidth(label, spec);
    case 'slicer':
      return validateSlicer(label, spec);
    case 'timeout':
      return validateTimeout(label, spec);
    case 'reset_peer':
      return validateResetPeer(label, spec);
    case 'limit_data':
      return validateLimitData(label, spec);
    case 'slow_close':
      return validateSlowClose(label, spec);
    default: {
      const unknown: never = spec;
      throw new RangeError(`${label}: unknown toxic type ${String((unknown as { type?: unknown }).type)}`);
    }
  }
}

export function createStage(toxic: Toxic, link: StageLink, active: boolean, random: () => number): ToxicStage {
  if (!active) return new PassThroughStage(toxic, link);
  const spec = toxic.spec;
  switch (spec.type) {
    case 'latency':
      return new LatencyStage(toxic, link, spec, random);
    case 'bandwidth':
      return new BandwidthStage(toxic, link, spec);
    case 'slicer':
      return new SlicerStage(toxic, link, spec, random);
    case 'timeout':
      return new TimeoutStage(toxic, link, spec);
    case 'reset_peer':
      return new ResetPeerStage(toxic, link, spec);
    case 'limit_data':
      return new LimitDataStage(toxic, link, spec);
    case 'slow_close':
      return new SlowCloseStage(toxic, link, spec);
  }
}
