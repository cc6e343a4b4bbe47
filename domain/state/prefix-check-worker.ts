import { parentPort, workerData } from 'node:worker_threads';
import { ChainPoint, SqliteEventStore } from './event-store';

/** The worker thread of PrefixCheck (snapshot-store.ts): verify a log from its first event to a snapshot's, read-only, and answer once. */
const { path, through } = workerData as { path: string; through: ChainPoint };
parentPort?.postMessage(SqliteEventStore.inspectPrefix(path, through));
