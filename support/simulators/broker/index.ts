/**
 * The broker simulator: the venue's books and matching (BrokerSimulatorCore), the same core on the
 * wire with signed REST, a user channel and scripted faults (BrokerServer), and the gateway port
 * calling the core in process for runs without sockets (InProcessBrokerGateway).
 */
export { BROKER_REJECT_CODES, BrokerQueryFailure, BrokerRejection, BrokerSimulatorCore, isBrokerRejectCode } from './broker-core';
export type { BalanceAdjustment, BookLevel, BrokerCoreOptions, BrokerQuery, BrokerQueryFailureKind, BrokerRejectCode, BrokerRequestRecord, ReportListener, SimCancelOutcome, SimOrderRequest } from './broker-core';
export { BrokerServer, redactApiKey } from './broker-server';
export type { BrokerCredential, BrokerPermission, BrokerServerOptions, HttpLogEntry, RequestMatch, ScriptedAnswer } from './broker-server';
export type { CapturedRequest } from './rest-api';
export { InProcessBrokerGateway } from './in-process-gateway';
export type { InProcessGatewayOptions, ScriptedOutage } from './in-process-gateway';
/** The wire protocol this venue speaks (the reference system's adapter speaks it too): where its REST API lives, and how a request is signed. */
export { API_PREFIX, AUTH_HEADERS, signRequest } from '../../../domain/execution';
