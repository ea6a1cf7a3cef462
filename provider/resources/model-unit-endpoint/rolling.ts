import type { Endpoint } from '../../api/ark';
import { createRollingRequest, type RollingInfoRead as RollingInfo } from '../../api/ark-rolling';
import type { ArkClient } from '../../clients/ark/client';
import { createOnce } from '../../clients/ark/create-once';
import { hasCode, isNotFound } from '../../clients/ark/errors';
import { findEndpoint } from '../../clients/ark/finders';
import { type Acceptors, GONE, type Observation, WaitFailedError, WaitTimeoutError, formatSeconds, pollIntervalFrom, waitFor } from '../../clients/ark/waiter';
import { type ControllerContext, operationTimeoutMs } from '../controller';
import { DEFAULT_ROLLING_TIMEOUT_SECONDS, type Inputs } from './schema';

/**
 * `modelUpdate: 'rolling'`: a new customModelId reaches the live endpoint through a rollout
 * (CreateEndpointRolling, wire contract provider/api/ark-rolling.ts) instead of a replacement, so its id and its
 * clients stay. The endpoint's `RollingId` is the only record of a rollout in progress: a run killed mid-rollout
 * finds it there and resumes waiting, and never starts a second one. A rollout that fails or outlives the update
 * timeout is rolled back, and the update fails with the service's reason: the engine then keeps the old state,
 * which still names the old model, so the next `pulumi up` tries again. A cancelled update (ctx.signal: the
 * engine went away or sent Cancel) is neither: the rollout is left running untouched, no further request is
 * sent, and the next `pulumi up` resumes it through that `RollingId`.
 */

const ROLLING_COMPLETED: Acceptors = { success: ['Completed'], failure: ['Failed', 'Cancelled', 'Reverting', 'Reverted', GONE], pending: ['Running'] };
const ROLLING_REVERTED: Acceptors = { success: ['Reverted', 'Cancelled'], failure: ['Completed', 'Failed', GONE], pending: ['Reverting'] };

/** The diff's replace list: with `rolling`, a new customModelId is an in-place update (a rollout), not a replacement. */
export function replacingInputs<K extends string>(replaceOnChanges: readonly K[], news: Pick<Inputs, 'modelUpdate'>): K[] {
  return news.modelUpdate === 'rolling' ? replaceOnChanges.filter((key) => key !== 'customModelId') : [...replaceOnChanges];
}

export class RollingFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RollingFailedError';
  }
}

/** The update was cancelled while a rollout (or its rollback) was under way; Ark carries on with it. */
export class RollingInterruptedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RollingInterruptedError';
  }
}

/** Why the signal aborted, in words. */
function abortReason(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'the operation was cancelled');
}

/**
 * Makes endpoint `id` serve `inputs.customModelId` through a rollout, resuming one already under way; returns
 * once it does. Throws RollingFailedError after rolling a failed or timed-out rollout back, and
 * RollingInterruptedError, leaving the rollout alone, when ctx.signal aborts.
 */
export async function rollToModel(client: ArkClient, id: string, inputs: Inputs, ctx: ControllerContext): Promise<void> {
  const target = inputs.customModelId;
  const timeoutMs = operationTimeoutMs(ctx, 'update', inputs.updateTimeoutSeconds, DEFAULT_ROLLING_TIMEOUT_SECONDS);
  let live = await mustFindEndpoint(client, id);
  let rollingId: string | undefined;

  if (live.RollingId) {
    const earlier = await getRolling(client, live.RollingId);
    const to = earlier.ToModelReference.CustomModelId;
    if (earlier.Status === 'Running' && to === target) {
      ctx.log.info(`endpoint ${id}: resuming rollout ${earlier.Id} to ${target} (${earlier.Progress ?? 0}%, started by an earlier run)`);
      rollingId = earlier.Id;
    } else if (earlier.Status === 'Running') {
      throw new RollingFailedError(
        `endpoint ${id}: rollout ${earlier.Id} to ${to} is in progress, but customModelId is ${target}; ` +
          'wait for it to finish or cancel it (CancelEndpointRolling), then run `pulumi up` again',
      );
    } else if (earlier.Status === 'Failed' || earlier.Status === 'Reverting') {
      // An earlier run was killed before it finished rolling back: bring the endpoint back first.
      ctx.log.info(`endpoint ${id}: rollout ${earlier.Id} to ${to} was left ${earlier.Status} by an earlier run; rolling it back before trying again`);
      await rollBack(client, id, earlier, timeoutMs, ctx);
      live = await mustFindEndpoint(client, id);
    } else {
      // It finished between the two reads (Completed, Reverted, Cancelled, or a state this code does not know
      // that no longer holds the endpoint): decide from the endpoint as it is now.
      ctx.log.info(`endpoint ${id}: rollout ${earlier.Id} to ${to}, started by an earlier run, is ${earlier.Status}`);
      live = await mustFindEndpoint(client, id);
      if (live.RollingId === earlier.Id) {
        throw new RollingFailedError(`endpoint ${id}: rollout ${earlier.Id} is ${earlier.Status} but still holds the endpoint; wait for it or cancel it, then run \`pulumi up\` again`);
      }
    }
  }

  if (!rollingId) {
    const from = live.ModelReference.CustomModelId;
    if (from === target) return;
    if (live.SupportRolling === false) {
      throw new RollingFailedError(`endpoint ${id} does not support a rolling model switch (SupportRolling is false); set modelUpdate: 'replace' to replace it instead`);
    }
    rollingId = await createOnce({
      what: `rollout of endpoint ${id} to ${target}`,
      create: async () => (await client.call('CreateEndpointRolling', createRollingRequest(id, target))).Id,
      lookup: () => rolloutTo(client, id, target),
      log: ctx.log,
      lookupDelayMs: ctx.settings().pollIntervalMs,
      signal: ctx.signal,
    });
    ctx.log.info(`endpoint ${id}: started rollout ${rollingId} from ${from ?? 'its model'} to ${target}`);
  }

  try {
    await waitRolling(client, id, rollingId, 'Completed', ROLLING_COMPLETED, timeoutMs, ctx);
    ctx.log.info(`endpoint ${id}: rollout ${rollingId} completed; it serves ${target}`);
  } catch (error) {
    // Cancelled, not failed: rolling back would undo the user's rollout because the engine went away.
    if (ctx.signal?.aborted) {
      throw new RollingInterruptedError(
        `endpoint ${id}: the update was cancelled (${abortReason(ctx.signal)}) while rollout ${rollingId} to ${target} was under way. ` +
          'The rollout was left running in Ark, not rolled back; the state keeps the old model, and the next `pulumi up` resumes ' +
          "waiting for this rollout (through the endpoint's RollingId) instead of starting another.",
        { cause: ctx.signal.reason },
      );
    }
    const rolling = await getRolling(client, rollingId).catch(() => undefined);
    if (rolling?.Status === 'Completed') return;
    const why = error instanceof WaitTimeoutError ? error.message : rolling?.StatusReason || (error as Error).message;
    if (rolling && (rolling.Status === 'Running' || rolling.Status === 'Failed' || rolling.Status === 'Reverting')) {
      ctx.log.warn(`endpoint ${id}: rollout ${rollingId} to ${target} ${rolling.Status === 'Running' ? 'timed out' : rolling.Status} at ${rolling.Progress ?? '?'}%; rolling back`);
      await rollBack(client, id, rolling, timeoutMs, ctx);
    }
    const old = rolling?.FromModelReference?.CustomModelId ?? live.ModelReference.CustomModelId;
    throw new RollingFailedError(
      `endpoint ${id}: rollout ${rollingId} to ${target} failed and was rolled back; the endpoint still serves ${old}. ` +
        `Reason: ${why}. The state keeps the old model, so the next \`pulumi up\` tries again.`,
    );
  }
}

/** RollbackEndpointRolling (unless it is already reverting) and wait for Reverted. */
async function rollBack(client: ArkClient, id: string, rolling: RollingInfo, timeoutMs: number, ctx: ControllerContext): Promise<void> {
  if (rolling.Status === 'Running' || rolling.Status === 'Failed') {
    try {
      await client.call('RollbackEndpointRolling', { Id: rolling.Id });
    } catch (error) {
      // It moved on meanwhile (finished or already reverting): the wait below reads where it went.
      if (!hasCode(error, 'OperationDenied.RollingStatus')) throw error;
    }
  }
  try {
    await waitRolling(client, id, rolling.Id, 'Reverted', ROLLING_REVERTED, timeoutMs, ctx);
  } catch (error) {
    if (error instanceof WaitFailedError && error.status === 'Completed') return;
    if (ctx.signal?.aborted) {
      throw new RollingInterruptedError(
        `endpoint ${id}: the update was cancelled (${abortReason(ctx.signal)}) while rollout ${rolling.Id} was being rolled back; ` +
          "Ark carries on reverting it, and the next `pulumi up` finds it through the endpoint's RollingId and waits again",
        { cause: ctx.signal.reason },
      );
    }
    throw new RollingFailedError(
      `endpoint ${id}: rolling back rollout ${rolling.Id} did not finish (${(error as Error).message}); ` +
        'the next `pulumi up` finds it through the endpoint\'s RollingId and waits again',
    );
  }
}

async function waitRolling(client: ArkClient, id: string, rollingId: string, goal: string, acceptors: Acceptors, timeoutMs: number, ctx: ControllerContext) {
  let reported = '';
  let last: RollingInfo | undefined;
  return waitFor<RollingInfo>({
    what: `rollout ${rollingId} of endpoint ${id}`,
    goal,
    acceptors,
    timeoutMs,
    interval: pollIntervalFrom(ctx.settings().pollIntervalMs),
    signal: ctx.signal,
    poll: async (): Promise<Observation<RollingInfo>> => {
      const rolling = await findRolling(client, rollingId);
      last = rolling;
      if (!rolling) return { status: GONE };
      return { status: rolling.Status, reason: rolling.StatusReason, value: rolling };
    },
    onProgress: (progress) => {
      const line = last ? `${last.Status} ${last.Progress ?? '?'}% (step ${last.CurrentStep ?? '?'}/${last.Step ?? '?'})` : progress.status;
      // One line per change of state or percent: a rollout waits minutes per batch and polls throughout.
      if (line === reported) return;
      reported = line;
      ctx.log.info(`endpoint ${id}: rollout ${rollingId}: ${line}, ${formatSeconds(progress.elapsedMs)} elapsed (waiting for ${goal}, limit ${formatSeconds(timeoutMs)})`);
    },
  });
}

async function findRolling(client: ArkClient, rollingId: string): Promise<RollingInfo | undefined> {
  try {
    return (await client.call('GetEndpointRolling', { Id: rollingId })).RollingInfo;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function getRolling(client: ArkClient, rollingId: string): Promise<RollingInfo> {
  const rolling = await findRolling(client, rollingId);
  if (!rolling) throw new RollingFailedError(`rollout ${rollingId} no longer exists in Ark`);
  return rolling;
}

/** The endpoint's rollout to `target` in progress, if one exists: how createOnce recognises a create that took effect. */
async function rolloutTo(client: ArkClient, id: string, target: string): Promise<string | undefined> {
  const live = await findEndpoint(client, id);
  if (!live?.RollingId) return undefined;
  const rolling = await findRolling(client, live.RollingId);
  return rolling?.ToModelReference.CustomModelId === target ? rolling.Id : undefined;
}

async function mustFindEndpoint(client: ArkClient, id: string): Promise<Endpoint> {
  const live = await findEndpoint(client, id);
  if (!live || live.Status === 'Deleting') {
    throw new RollingFailedError(`endpoint ${id} no longer exists in Ark (deleted outside Pulumi?): run \`pulumi refresh\`, then \`pulumi up\``);
  }
  return live;
}
