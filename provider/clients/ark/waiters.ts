import { CUSTOM_MODEL_STATUSES, ENDPOINT_STATUSES, type CustomModel, type Endpoint } from '../../api/ark';
import type { Clock } from '../retry';
import type { ArkClient } from './client';
import { readCustomModel, readEndpoint, type TolerantRead, type Unreadable } from './finders';
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

/**
 * The status a wait sees when an answer does not carry one (GetCustomModel without Status, and the List fallback
 * not showing the model either; or a Status a tolerant read could not parse). In no acceptor list, so it is
 * waited through like any status pulumi-ark does not know.
 */
export const STATUS_NOT_REPORTED = '(no status reported)';

/**
 * Called with each answer a tolerant wait went on with although part of it could not be read. Without it, a
 * wait is strict: such an answer ends it with the Protocol error (create and update need the whole answer).
 */
export type OnUnreadable = (unreadable: readonly Unreadable[]) => void;

function observed<T>(read: TolerantRead<T> | undefined, onUnreadable: OnUnreadable | undefined): Observation<T> {
  if (!read) return { status: GONE };
  if (read.unreadable.length) {
    if (!onUnreadable) throw read.unreadable[0]!.error;
    onUnreadable(read.unreadable);
  }
  const value = read.value as unknown as T & { Status?: string; StatusReason?: string };
  return { status: value.Status ?? STATUS_NOT_REPORTED, reason: value.StatusReason, value };
}

export function observeEndpoint(client: ArkClient, id: string, onUnreadable?: OnUnreadable): () => Promise<Observation<Endpoint>> {
  return async () => observed(await readEndpoint(client, id), onUnreadable);
}

/** Status from GetCustomModel, or from ListCustomModels when Get leaves it out (finders.ts readCustomModel). */
export function observeCustomModel(client: ArkClient, id: string, onUnreadable?: OnUnreadable): () => Promise<Observation<CustomModel>> {
  return async () => observed(await readCustomModel(client, id), onUnreadable);
}

export interface WaitSettings {
  timeoutMs: number;
  interval?: PollInterval;
  clock?: Clock;
  onProgress?(progress: Progress): void;
  signal?: AbortSignal;
  /** Makes the wait tolerant (deletes): it goes on with what it could read of an answer (see OnUnreadable). */
  onUnreadable?: OnUnreadable;
}

export function waitEndpoint(
  client: ArkClient,
  id: string,
  goal: string,
  acceptors: Acceptors,
  settings: WaitSettings,
): Promise<WaitResult<Endpoint>> {
  const { onUnreadable, ...rest } = settings;
  return waitFor({ what: `endpoint ${id}`, goal, poll: observeEndpoint(client, id, onUnreadable), acceptors, ...rest });
}

export function waitCustomModel(
  client: ArkClient,
  id: string,
  goal: string,
  acceptors: Acceptors,
  settings: WaitSettings,
): Promise<WaitResult<CustomModel>> {
  const { onUnreadable, ...rest } = settings;
  return waitFor({ what: `custom model ${id}`, goal, poll: observeCustomModel(client, id, onUnreadable), acceptors, ...rest });
}

/** A progress callback that reports each poll through the controller's log, with elapsed time and the limit. */
export function logProgress(log: { info(message: string): void }, what: string, goal: string, timeoutMs: number) {
  return (progress: Progress) =>
    log.info(
      `${what}: ${progress.status}${progress.unknown ? ' (a status pulumi-ark does not know; waiting through it)' : ''}, ` +
        `${formatSeconds(progress.elapsedMs)} elapsed (waiting for ${goal}, limit ${formatSeconds(timeoutMs)})`,
    );
}
