import { CUSTOM_MODEL_STATUSES, ENDPOINT_STATUSES, type CustomModel, type Endpoint } from '../../api/ark';
import type { Clock } from '../retry';
import type { ArkClient } from './client';
import { findCustomModel, findEndpoint } from './finders';
import {
  type Acceptors,
  GONE,
  type Observation,
  type PollInterval,
  type Progress,
  type WaitResult,
  formatSeconds,
  waitFor,
} from './waiter';

/** Acceptor tables for Ark's long-running operations, and the status functions they read. */

/*
 * Every known status appears in a list of each table; one Ark adds later appears in none and is waited through
 * (waiter.ts). So an unknown status never ends a wait early, whether it comes before a known one or instead.
 */

export const MODEL_READY: Acceptors = {
  success: ['Ready'],
  failure: ['Failed', 'Deleting', GONE],
  pending: ['Preparing', 'Processing'],
};

export const ENDPOINT_RUNNING: Acceptors = {
  success: ['Running'],
  failure: ['Abnormal', 'Stopped', 'Deleting', GONE],
  pending: ['Scheduling'],
};

/** Before DeleteEndpoint: a state the API deletes from. Gone counts too (someone else deleted it). */
export const ENDPOINT_DELETABLE: Acceptors = {
  success: ['Stopped', 'Abnormal', GONE],
  failure: [],
  pending: ['Running', 'Scheduling', 'Deleting'],
};

export const ENDPOINT_GONE: Acceptors = { success: [GONE], failure: [], pending: ENDPOINT_STATUSES };
export const MODEL_GONE: Acceptors = { success: [GONE], failure: [], pending: CUSTOM_MODEL_STATUSES };

export function observeEndpoint(client: ArkClient, id: string): () => Promise<Observation<Endpoint>> {
  return async () => {
    const endpoint = await findEndpoint(client, id);
    return endpoint ? { status: endpoint.Status, reason: endpoint.StatusReason, value: endpoint } : { status: GONE };
  };
}

export function observeCustomModel(client: ArkClient, id: string): () => Promise<Observation<CustomModel>> {
  return async () => {
    const model = await findCustomModel(client, id);
    return model ? { status: model.Status, reason: model.StatusReason, value: model } : { status: GONE };
  };
}

export interface WaitSettings {
  timeoutMs: number;
  interval?: PollInterval;
  clock?: Clock;
  onProgress?(progress: Progress): void;
}

export function waitEndpoint(
  client: ArkClient,
  id: string,
  goal: string,
  acceptors: Acceptors,
  settings: WaitSettings,
): Promise<WaitResult<Endpoint>> {
  return waitFor({ what: `endpoint ${id}`, goal, poll: observeEndpoint(client, id), acceptors, ...settings });
}

export function waitCustomModel(
  client: ArkClient,
  id: string,
  goal: string,
  acceptors: Acceptors,
  settings: WaitSettings,
): Promise<WaitResult<CustomModel>> {
  return waitFor({ what: `custom model ${id}`, goal, poll: observeCustomModel(client, id), acceptors, ...settings });
}

/** A progress callback that reports each poll through the controller's log, with elapsed time and the limit. */
export function logProgress(log: { info(message: string): void }, what: string, goal: string, timeoutMs: number) {
  return (progress: Progress) =>
    log.info(
      `${what}: ${progress.status}${progress.unknown ? ' (a status pulumi-ark does not know; waiting through it)' : ''}, ` +
        `${formatSeconds(progress.elapsedMs)} elapsed (waiting for ${goal}, limit ${formatSeconds(timeoutMs)})`,
    );
}
