/** The port to the system under test, its settings catalogue, and the reference system's driver. */
export * from './system-under-test';
export * from './settings-catalogue';
export { referenceDriver } from './reference-driver';
export { statePicture as stateSnapshot } from '../../domain/state';
export { tradeIdsOfTrigger } from '../../domain/execution';
