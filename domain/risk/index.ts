/** Pre-trade risk: the live risk manager, its checks (the market's among them) and their denial codes (with meanings), exposure maths and position sizing. */
export * from './live-risk-manager';
export * from './pre-trade-checks';
export * from './market-checks';
export * from './exposure';
export * from './position-sizer';
export * from './rejection-codes';
