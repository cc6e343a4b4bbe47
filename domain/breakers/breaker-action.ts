/** What a breaker did, as its BreakerActionTaken events name it. */
export type BreakerAction = 'alert raised' | 'settings changed' | 'cancel order' | 'cancel on acknowledgement' | 'broker kill switch' | 'liquidate';

/** How a breaker's action ended. */
export type BreakerActionOutcome = 'done' | 'failed' | 'skipped';
