/** The toxics, one a file as toxiproxy keeps them: what the proxy core needs to check a toxic and set it on a link. */
export { createStage, validateToxic } from './registry';
export { ToxicStage } from './toxic-stage';
export type { StageLink } from './toxic-stage';
