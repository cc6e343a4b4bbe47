/** Pre-trade risk: the live risk manager, its checks, exposure maths and position sizing. */
export * from './live-risk-manager';
export * from './pre-trade-checks';
export * from './exposure';
export * from './position-sizer';
