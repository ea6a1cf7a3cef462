import type { Endpoint } from '../../api/ark';
import { createRollingRequest, FULL_GRAY, rollingView, type RollingView } from '../../api/ark-rolling';
import { type ArkClient, arkClientFor } from '../../clients/ark/client';
import { createOnce } from '../../clients/ark/create-once';
import { hasCode, isNotFound } from '../../clients/ark/errors';
import { findEndpoint } from '../../clients/ark/finders';
import { type Acceptors, GONE, type Observation, WaitFailedError, WaitTimeoutError, formatSeconds, pollIntervalFrom, waitFor } from '../../clients/ark/waiter';
import { type ControllerContext, operationTimeoutMs } from '../controller';
import { sameValue } from '../properties';
import { DEFAULT_ROLLING_TIMEOUT_SECONDS, type Inputs } from './schema';

/**
 * `modelUpdate: 'rolling'`: a new customModelId reaches the live endpoint through a rollout
 * (CreateEndpointRolling, wire contract provider/api/ark-rolling.ts) instead of a replacement, so its id and its
 * clients stay, but only where the live endpoint reports `SupportRolling: true` (`rollsNewModel`): Ark does not
 * switch uploaded or fine-tuned models on model units (ark-api-2026.md F16), and there the diff replaces.
 *
 * The endpoint's `RollingId` is the only record of a rollout in progress: a run killed mid-rollout finds it there
 * and resumes waiting, and never starts a second one. Done is what the live record shows (F15): `RollingGray` 100
 * and the endpoint's ModelReference on the target, whatever the status says. A rollout that fails or outlives the
 * update timeout is cancelled (CancelEndpointRolling: all traffic back on the old model at once, `Reverted` 0%;
 * RollbackEndpointRolling only steps back one Step), and the update fails with the reason: the engine then keeps
 * the old state, which still names the old model, so the next `pulumi up` tries again. A cancelled update
 * (ctx.signal: the engine went away or sent Cancel) is neither: the rollout is left running untouched, no further
 * request is sent, and the next `pulumi up` resumes it through that `RollingId`.
 */

/** Pseudo-status of a rollout that is done: 100% of traffic on the new model and the endpoint bound to it. */
const SWITCHED = 'Switched';
// `Completed` and `Cancelled` are the names of this project's contract before the record; a service may use them.
const ROLLING_SWITCHED: Acceptors = { success: [SWITCHED], failure: ['Failed', 'Reverting', 'Reverted', 'Cancelled', GONE], pending: ['Running', 'Completed'] };
const ROLLING_REVERTED: Acceptors = { success: ['Reverted', 'Cancelled'], failure: [GONE], pending: ['Running', 'Failed', 'Reverting'] };
/** Statuses in which a rollout still holds its endpoint and moves, or keeps, traffic on the new model. */
const IN_PROGRESS = ['Running', 'Failed', 'Reverting'];

/** The diff's replace list: a new customModelId that rolls (`rollsNewModel`) is an in-place update, not a replacement. */
export function replacingInputs<K extends string>(replaceOnChanges: readonly K[], rolls: boolean): K[] {
  return rolls ? replaceOnChanges.filter((key) => key !== 'customModelId') : [...replaceOnChanges];
}

/**
 * Whether a new customModelId reaches endpoint `id` by a rollout: with `modelUpdate: 'rolling'`, where the live
 * endpoint reports `SupportRolling: true`. Anywhere else the endpoint is replaced and the log says why. One
 * GetEndpoint, read-only, so preview may call it.
 */
export async function rollsNewModel(id: string, olds: Pick<Inputs, 'customModelId'>, news: Pick<Inputs, 'customModelId' | 'modelUpdate'>, ctx: ControllerContext): Promise<boolean> {
  if (news.modelUpdate !== 'rolling' || sameValue(olds.customModelId, news.customModelId)) return false;
  const live = await findEndpoint(arkClientFor(ctx), id);
  if (live?.SupportRolling === true) return true;
  ctx.log.warn(
    live
      ? `${notSupported(id, live)}; it will be replaced (a new endpoint, a new id)`
      : `endpoint ${id} was not found in Ark, so it cannot roll to the new model; a new endpoint will be created`,
  );
  return false;
}

function notSupported(id: string, live: Endpoint): string {
  const flag = live.SupportRolling === undefined ? 'not reported' : String(live.SupportRolling);
  return `endpoint ${id} does not support a rolling model switch (SupportRolling ${flag}: Ark does not roll uploaded models on model units)`;
}

export class RollingFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RollingFailedError';
  }
}

/** The update was cancelled while a rollout (or its cancel) was under way; Ark carries on with it. */
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
 * once it does. Never starts one where the endpoint does not report `SupportRolling: true`. Throws
 * RollingFailedError after cancelling a failed or timed-out rollout, and RollingInterruptedError, leaving the
 * rollout alone, when ctx.signal aborts.
 */
export async function rollToModel(client: ArkClient, id: string, inputs: Inputs, ctx: ControllerContext): Promise<void> {
  const target = inputs.customModelId;
  const timeoutMs = operationTimeoutMs(ctx, 'update', inputs.updateTimeoutSeconds, DEFAULT_ROLLING_TIMEOUT_SECONDS);
  let live = await mustFindEndpoint(client, id);
  let rollingId: string | undefined;

  if (live.RollingId) {
    const earlier = await getRolling(client, live.RollingId);
    const to = earlier.target ?? 'a model it does not name by custom model id';
    // Done by the record's measure, whatever the status says and whether or not the service still names it on
    // the endpoint (neither is recorded): carry on from the endpoint as it is.
    const done = (earlier.gray ?? 0) >= FULL_GRAY && earlier.target !== undefined && earlier.target === live.ModelReference.CustomModelId;
    if (done) {
      ctx.log.info(`endpoint ${id}: rollout ${earlier.id} to ${to}, started by an earlier run, is done (${percent(earlier)} of traffic)`);
    } else if (earlier.status === 'Running' && earlier.target === target) {
      ctx.log.info(`endpoint ${id}: resuming rollout ${earlier.id} to ${target} (${percent(earlier)} of traffic, started by an earlier run)`);
      rollingId = earlier.id;
    } else if (earlier.status === 'Running') {
      throw new RollingFailedError(
        `endpoint ${id}: rollout ${earlier.id} to ${to} is in progress, but customModelId is ${target}; ` +
          'wait for it to finish or cancel it (CancelEndpointRolling), then run `pulumi up` again',
      );
    } else if (earlier.status === 'Failed' || earlier.status === 'Reverting') {
      // An earlier run was killed before it cancelled its failed rollout (or someone rolled it back a step):
      // bring all traffic back on the endpoint's model first.
      ctx.log.info(`endpoint ${id}: rollout ${earlier.id} to ${to} was left ${earlier.status} at ${percent(earlier)}; cancelling it before trying again`);
      await cancelRollout(client, id, earlier, timeoutMs, ctx);
      live = await mustFindEndpoint(client, id);
    } else {
      // It let the endpoint go between the two reads (Reverted, or a state this code does not know that no
      // longer holds the endpoint): decide from the endpoint as it is now.
      ctx.log.info(`endpoint ${id}: rollout ${earlier.id} to ${to}, started by an earlier run, is ${earlier.status}`);
      live = await mustFindEndpoint(client, id);
      if (live.RollingId === earlier.id) {
        throw new RollingFailedError(`endpoint ${id}: rollout ${earlier.id} is ${earlier.status} but still holds the endpoint; wait for it or cancel it, then run \`pulumi up\` again`);
      }
    }
  }

  const from = live.ModelReference.CustomModelId;
  if (!rollingId) {
    if (from === target) return;
    if (live.SupportRolling !== true) {
      throw new RollingFailedError(`${notSupported(id, live)}; run \`pulumi up\` again to replace it, or set modelUpdate: 'replace'`);
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
    await waitRolling(client, id, rollingId, `${FULL_GRAY}% of traffic on ${target}`, ROLLING_SWITCHED, timeoutMs, ctx, target);
    ctx.log.info(`endpoint ${id}: rollout ${rollingId} done; ${target} serves all traffic`);
  } catch (error) {
    // Cancelled, not failed: cancelling the rollout would undo the user's change because the engine went away.
    if (ctx.signal?.aborted) {
      throw new RollingInterruptedError(
        `endpoint ${id}: the update was cancelled (${abortReason(ctx.signal)}) while rollout ${rollingId} to ${target} was under way. ` +
          'The rollout was left running in Ark, not cancelled; the state keeps the old model, and the next `pulumi up` resumes ' +
          "waiting for this rollout (through the endpoint's RollingId) instead of starting another.",
        { cause: ctx.signal.reason },
      );
    }
    const rolling = await findRolling(client, rollingId).catch(() => undefined);
    if (await servesAlone(client, id, target)) return;
    const why = error instanceof WaitTimeoutError ? error.message : rolling?.reason || (error as Error).message;
    if (rolling && IN_PROGRESS.includes(rolling.status)) {
      const what = rolling.status === 'Running' ? 'timed out' : rolling.status;
      ctx.log.warn(`endpoint ${id}: rollout ${rollingId} to ${target} ${what} at ${percent(rolling)} of traffic; cancelling it (all traffic back on the old model at once)`);
      await cancelRollout(client, id, rolling, timeoutMs, ctx);
      // A rollout that reached 100% just before the cancel keeps the endpoint on the new model (F15).
      if (await servesAlone(client, id, target)) return;
    }
    const old = rolling?.source ?? from;
    throw new RollingFailedError(
      `endpoint ${id}: rollout ${rollingId} to ${target} failed and was cancelled; the endpoint still serves ${old}. ` +
        `Reason: ${why}. The state keeps the old model, so the next \`pulumi up\` tries again.`,
    );
  }
}

/** CancelEndpointRolling (all traffic back on the old model at once) and wait for `Reverted`. */
async function cancelRollout(client: ArkClient, id: string, rolling: RollingView, timeoutMs: number, ctx: ControllerContext): Promise<void> {
  try {
    await client.call('CancelEndpointRolling', { Id: rolling.id });
  } catch (error) {
    // It moved on meanwhile (Reverted already): the wait below reads where it went.
    if (!hasCode(error, 'OperationDenied.RollingStatus')) throw error;
  }
  try {
    await waitRolling(client, id, rolling.id, 'Reverted', ROLLING_REVERTED, timeoutMs, ctx);
  } catch (error) {
    if (ctx.signal?.aborted) {
      throw new RollingInterruptedError(
        `endpoint ${id}: the update was cancelled (${abortReason(ctx.signal)}) while rollout ${rolling.id} was being cancelled; ` +
          "Ark carries on reverting it, and the next `pulumi up` finds it through the endpoint's RollingId and waits again",
        { cause: ctx.signal.reason },
      );
    }
    const status = error instanceof WaitFailedError ? ` (${error.status})` : '';
    throw new RollingFailedError(
      `endpoint ${id}: cancelling rollout ${rolling.id} did not finish${status}: ${(error as Error).message}; ` +
        "the next `pulumi up` finds it through the endpoint's RollingId and waits again",
    );
  }
}

/**
 * Waits for `acceptors`' success. With a `target`, the success is SWITCHED: the rollout at 100% and the endpoint
 * bound to the target (the live record saw the binding change at 100%, not a status).
 */
async function waitRolling(client: ArkClient, id: string, rollingId: string, goal: string, acceptors: Acceptors, timeoutMs: number, ctx: ControllerContext, target?: string) {
  let reported = '';
  let last: RollingView | undefined;
  return waitFor<RollingView>({
    what: `rollout ${rollingId} of endpoint ${id}`,
    goal,
    acceptors,
    timeoutMs,
    interval: pollIntervalFrom(ctx.settings().pollIntervalMs),
    signal: ctx.signal,
    poll: async (): Promise<Observation<RollingView>> => {
      const rolling = await findRolling(client, rollingId);
      last = rolling;
      if (!rolling) return { status: GONE };
      const switched = target !== undefined && (rolling.gray ?? 0) >= FULL_GRAY && (await findEndpoint(client, id))?.ModelReference.CustomModelId === target;
      return { status: switched ? SWITCHED : rolling.status, reason: rolling.reason, value: rolling };
    },
    onProgress: (progress) => {
      const pace = last?.step !== undefined && last.waitMinutes !== undefined ? ` (+${last.step}% every ${last.waitMinutes} min)` : '';
      const line = last ? `${last.status} ${percent(last)} of traffic on the new model${pace}` : progress.status;
      // One line per change of state or percent: a real rollout moves a step a minute and is polled throughout.
      if (line === reported) return;
      reported = line;
      ctx.log.info(`endpoint ${id}: rollout ${rollingId}: ${line}, ${formatSeconds(progress.elapsedMs)} elapsed (waiting for ${goal}, limit ${formatSeconds(timeoutMs)})`);
    },
  });
}

function percent(rolling: RollingView): string {
  return rolling.gray === undefined ? '?%' : `${rolling.gray}%`;
}

async function findRolling(client: ArkClient, rollingId: string): Promise<RollingView | undefined> {
  try {
    return rollingView((await client.call('GetEndpointRolling', { Id: rollingId })).RollingInfo);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function getRolling(client: ArkClient, rollingId: string): Promise<RollingView> {
  const rolling = await findRolling(client, rollingId);
  if (!rolling) throw new RollingFailedError(`rollout ${rollingId} no longer exists in Ark`);
  return rolling;
}

/** The endpoint serves `target` and no rollout holds it: the switch is done, whatever happened to the rollout. */
async function servesAlone(client: ArkClient, id: string, target: string): Promise<boolean> {
  const live = await findEndpoint(client, id).catch(() => undefined);
  return live?.ModelReference.CustomModelId === target && !live.RollingId;
}

/** The endpoint's rollout to `target` in progress, if one exists: how createOnce recognises a create that took effect. */
async function rolloutTo(client: ArkClient, id: string, target: string): Promise<string | undefined> {
  const live = await findEndpoint(client, id);
  if (!live?.RollingId) return undefined;
  const rolling = await findRolling(client, live.RollingId);
  return rolling?.target === target ? rolling.id : undefined;
}

async function mustFindEndpoint(client: ArkClient, id: string): Promise<Endpoint> {
  const live = await findEndpoint(client, id);
  if (!live || live.Status === 'Deleting') {
    throw new RollingFailedError(`endpoint ${id} no longer exists in Ark (deleted outside Pulumi?): run \`pulumi refresh\`, then \`pulumi up\``);
  }
  return live;
}
