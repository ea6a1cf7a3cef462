import { type CreateEndpointRequest, DEFAULT_PROJECT_NAME, type Endpoint, type UpdateEndpointRequest } from '../../api/ark';
import { type ArkClient, arkClientFor } from '../../clients/ark/client';
import { createOnce } from '../../clients/ark/create-once';
import { hasCode, isNotFound } from '../../clients/ark/errors';
import { findEndpoint, findOwnedEndpoints, fromApiTags, plainTags, readEndpoint, toApiTags, type Unreadable, unreadableWarning } from '../../clients/ark/finders';
import { WaitFailedError, WaitTimeoutError, formatSeconds, pollIntervalFrom } from '../../clients/ark/waiter';
import { ENDPOINT_DELETABLE, ENDPOINT_GONE, ENDPOINT_RUNNING, STATUS_NOT_REPORTED, logProgress, waitEndpoint } from '../../clients/ark/waiters';
import { sleepUnlessAborted, systemClock } from '../../clients/retry';
import { type ControllerContext, isUnknown, operationTimeoutMs, PartialFailureError, type TimedOperation, type ProviderSettings, type ResourceController } from '../controller';
import { keepCreatedOnFailure } from '../partial-create';
import { checkWithSchema, diffProperties, isImportRead, pickInputs, sameValue } from '../properties';
import { needsProbe, probeWhenAsked } from './probe';
import { replacingInputs, rollToModel, rollsNewModel } from './rolling';
import { createOnFreeUnit, leftItsUnits, ModelUnitGoneError, placementOrder, replacementOrder, replacementWarning, unitIsGone, unitsOf } from './units';
import {
  DEFAULT_CREATE_TIMEOUT_SECONDS,
  DEFAULT_DELETE_TIMEOUT_SECONDS,
  INPUT_KEYS,
  type Inputs,
  InputsSchema,
  KNOWN_MODERATION_STRATEGIES,
  type Outputs,
} from './schema';

/**
 * Inputs UpdateEndpoint cannot change: a different model or project is a new endpoint. So is a model unit the
 * endpoint no longer may run on (`leftItsUnits`): the diff adds `modelUnitId` then, not on every change of it.
 */
export const replaceOnChanges = ['customModelId', 'projectName'] as const;
/** Only read at create time. */
const ignoreChanges = ['adoptExistingId'] as const;

export const modelUnitEndpointController: ResourceController<Inputs, Outputs> = {
  async check(_olds, news, ctx) {
    const { inputs, failures, unknown } = checkWithSchema(InputsSchema, news);
    if (inputs?.standbyModelUnitId && !unknown.has('standbyModelUnitId') && inputs.standbyModelUnitId === inputs.modelUnitId) {
      return { failures: [{ property: 'standbyModelUnitId', reason: `must be a second model unit, not modelUnitId again (found ${inputs.modelUnitId})` }] };
    }
    if (inputs?.moderation && !unknown.has('moderation') && !KNOWN_MODERATION_STRATEGIES.includes(inputs.moderation)) {
      ctx.log.warn(
        `moderation "${inputs.moderation}" is none of the documented strategies (${KNOWN_MODERATION_STRATEGIES.join(', ')}); it is sent as given and Ark may refuse it`,
      );
    }
    return inputs ? { inputs } : { failures };
  },

  async diff(id, olds, news, ctx) {
    // A new model rolls only where the live endpoint supports it (one read-only GetEndpoint, rolling.ts).
    const rolls = await rollsNewModel(id, olds, news, ctx);
    const { changed, replaces } = diffProperties(olds, news, INPUT_KEYS, { replaceOnChanges: replacingInputs(replaceOnChanges, rolls), ignore: ignoreChanges });
    if (!isUnknown(news.modelUnitId) && !isUnknown(news.standbyModelUnitId) && leftItsUnits(olds, news)) {
      // The unit it runs on was modelUnitId or standbyModelUnitId: name the input whose change moved it.
      replaces.push(changed.includes('modelUnitId') ? 'modelUnitId' : 'standbyModelUnitId');
    }
    const warning = replaces.length > 0 ? replacementWarning(id, news) : undefined;
    if (warning) ctx.log.warn(warning);
    // Not Running (stopped out of band, Abnormal, or a wait that timed out), or a readiness probe that has not
    // passed: update starts it, resumes waiting or probes again.
    const unfinished = olds.status !== 'Running' || needsProbe(olds, news);
    return {
      changes: changed.length > 0 || unfinished,
      changed,
      replaces,
      deleteBeforeReplace: replaces.length > 0 && replacementOrder(news) === 'delete-before-create',
    };
  },

  async create(inputs, ctx) {
    const client = arkClientFor(ctx);
    let id: string;
    if (inputs.adoptExistingId) {
      id = await adoptExisting(client, inputs.adoptExistingId, inputs, ctx);
    } else {
      const owned = await findOwnedEndpoints(client, { name: inputs.name, owner: inputs.owner, projectName: inputs.projectName });
      const earlier = ownMatch(owned, inputs)?.Id;
      if (earlier) ctx.log.info(`endpoint "${inputs.name}": adopting ${earlier}, which carries this resource's owner tag (made by an interrupted run, or retained by an earlier delete)`);
      id = earlier ?? (await createEndpoint(client, inputs, owned, ctx));
    }
    const properties = () => ({ ...inputs, chatBaseUrl: ctx.settings().chatBaseUrl });
    const outs = await keepCreatedOnFailure({ id, what: 'endpoint', properties }, async () =>
      probeWhenAsked(client, id, await converge(client, id, inputs, ctx, 'create'), inputs, ctx),
    );
    return { id, outs };
  },

  async read(id, props, ctx) {
    const settings = ctx.settings();
    const read = await readEndpoint(arkClientFor(ctx), id);
    if (!read || read.value.Status === 'Deleting') return {};
    // Refresh needs only to know the endpoint exists: what it cannot read of the answer keeps the state's value.
    // An import has no state to fall back on.
    if (read.unreadable.length && isImportRead(props, 'status')) throw read.unreadable[0]!.error;
    if (read.unreadable.length) ctx.log.warn(unreadableWarning(`endpoint ${id}`, read.unreadable, "refresh keeps the state's values for those and goes on"));
    const live: Endpoint = {
      Name: props.name,
      ModelReference: { CustomModelId: props.customModelId },
      Status: props.status,
      CreateTime: props.createTime,
      UpdateTime: props.updateTime,
      ...read.value,
    };
    const outs = outputsFromLive(props, live, settings);
    return { id, props: outs, inputs: pickInputs<Inputs>(outs, INPUT_KEYS) };
  },

  async exists(id, ctx) {
    // Any answer tells that the endpoint is there; fields it could not read do not matter here.
    const read = await readEndpoint(arkClientFor(ctx), id);
    return read !== undefined && read.value.Status !== 'Deleting';
  },

  async update(id, olds, news, ctx) {
    const client = arkClientFor(ctx);
    // Only a new model needs the rollout (a refresh puts the model the endpoint really serves into the state,
    // and a failed rollout leaves the old one there, so both still differ from `news` and roll).
    if (news.modelUpdate === 'rolling' && news.customModelId !== olds.customModelId) {
      // Everything but the model first, and the endpoint Running (a rollout needs it), with the state's model
      // in any partial failure; then the rollout, which throws (old state kept) if it had to be rolled back.
      await converge(client, id, { ...news, customModelId: olds.customModelId }, ctx, 'update');
      await rollToModel(client, id, news, ctx);
    }
    return { outs: await probeWhenAsked(client, id, await converge(client, id, news, ctx, 'update'), news, ctx) };
  },

  /**
   * Needs only the id, whether the endpoint still exists and its status (stop first?): every read here is
   * tolerant, and each answer it could not fully read is named once in a warning. Without a readable status it
   * tries DeleteEndpoint, and stops the endpoint first when that is refused for its status.
   */
  async delete(id, props, ctx) {
    const settings = ctx.settings();
    const client = arkClientFor(ctx);
    const timeoutMs = operationTimeoutMs(ctx, 'delete', props.deleteTimeoutSeconds, DEFAULT_DELETE_TIMEOUT_SECONDS);
    const interval = pollIntervalFrom(settings.pollIntervalMs);
    const started = systemClock.now();
    const remaining = () => Math.max(1, timeoutMs - (systemClock.now() - started));
    const warned = new Set<string>();
    const onUnreadable = (unreadable: readonly Unreadable[]) => {
      const message = unreadableWarning(`endpoint ${id}`, unreadable, 'delete goes on');
      if (!warned.has(message)) ctx.log.warn(message);
      warned.add(message);
    };
    const wait = (goal: string, acceptors: typeof ENDPOINT_GONE) =>
      waitEndpoint(client, id, goal, acceptors, {
        timeoutMs: remaining(),
        interval,
        onProgress: logProgress(ctx.log, `endpoint ${id}`, goal, timeoutMs),
        signal: ctx.signal,
        onUnreadable,
      });
    let refusedWithoutStatus = false;
    for (;;) {
      const read = await readEndpoint(client, id);
      if (!read) return;
      if (read.unreadable.length) onUnreadable(read.unreadable);
      const status = read.value.Status;
      const elapsedMs = systemClock.now() - started;
      if (elapsedMs >= timeoutMs) {
        throw new Error(
          `endpoint ${id} was still ${status ?? STATUS_NOT_REPORTED} after ${formatSeconds(elapsedMs)} of deleting (delete timeout ` +
            `${timeoutMs / 1000} s); run \`pulumi destroy\` again to keep waiting`,
        );
      }
      // No readable status, and DeleteEndpoint refused the one it has: stop first, as for Running.
      switch (status === undefined && refusedWithoutStatus ? 'Running' : status) {
        case 'Running':
        case 'Scheduling':
          // The API deletes only Stopped or Abnormal endpoints.
          ctx.log.info(`endpoint ${id}: stopping before delete: down from ${clockTime()} (model unit ${read.value.ModelUnitId ?? props.servingModelUnitId ?? props.modelUnitId})`);
          await tolerateStateRace(() => client.call('StopEndpoint', { Id: id }));
          if (status === undefined) {
            // Stopped cannot be seen without a status: try the delete again after a poll interval.
            refusedWithoutStatus = false;
            await sleepUnlessAborted(systemClock, interval.initialMs, ctx.signal);
            continue;
          }
          await wait('stopped', ENDPOINT_DELETABLE);
          continue;
        case 'Deleting':
          await wait('deleted', ENDPOINT_GONE);
          return;
        default:
          try {
            await client.call('DeleteEndpoint', { Id: id });
          } catch (error) {
            if (isNotFound(error)) return;
            if (!hasCode(error, 'OperationDenied.EndpointStatus')) throw error;
            // Someone started it again meanwhile (or its status could not be read): go round and stop it.
            refusedWithoutStatus = status === undefined;
            await sleepUnlessAborted(systemClock, interval.initialMs, ctx.signal);
            continue;
          }
          await wait('deleted', ENDPOINT_GONE);
          return;
      }
    }
  },
};

// ----------------------------------------------------------------------------------------------------- helpers

/** An endpoint this owner made earlier with the same name, model and model unit (a killed run's leftover). */
async function findOwn(client: ArkClient, inputs: Inputs): Promise<string | undefined> {
  const owned = await findOwnedEndpoints(client, { name: inputs.name, owner: inputs.owner, projectName: inputs.projectName });
  return ownMatch(owned, inputs)?.Id;
}

/**
 * The owned endpoint that already is this one: same model, on one of its units. During a create-before-delete
 * replacement the old endpoint has the same name and owner: the replace properties (model, unit) tell it apart,
 * so it is never adopted as its own replacement.
 */
function ownMatch(owned: readonly Endpoint[], inputs: Inputs): Endpoint | undefined {
  const units = unitsOf(inputs);
  return owned.find((e) => e.ModelReference.CustomModelId === inputs.customModelId && e.ModelUnitId !== undefined && units.includes(e.ModelUnitId));
}

/** The request fields every CreateEndpoint of these inputs carries, whichever unit it goes on. */
function createRequest(inputs: Inputs): Omit<CreateEndpointRequest, 'ModelUnitId'> {
  return {
    Name: inputs.name,
    ModelReference: { CustomModelId: inputs.customModelId },
    Description: inputs.description,
    RateLimit: inputs.rateLimit ? { Rpm: inputs.rateLimit.rpm, Tpm: inputs.rateLimit.tpm } : undefined,
    Moderation: moderationOf(inputs),
    Tags: toApiTags(inputs.tags, inputs.owner),
    ProjectName: inputs.projectName,
  };
}

/**
 * CreateEndpoint on a unit with room: with a standby unit, the one the endpoint being replaced (same owner) does
 * not occupy comes first, so a create-before-delete replacement alternates between the two units.
 */
async function createEndpoint(client: ArkClient, inputs: Inputs, owned: readonly Endpoint[], ctx: ControllerContext): Promise<string> {
  const busy = new Set(owned.flatMap((e) => (e.ModelUnitId ? [e.ModelUnitId] : [])));
  const order = placementOrder(unitsOf(inputs), busy);
  const { id, modelUnitId } = await createOnFreeUnit(
    order,
    (unit) =>
      createOnce({
        what: `endpoint "${inputs.name}"`,
        create: async () => (await client.call('CreateEndpoint', { ...createRequest(inputs), ModelUnitId: unit })).Id,
        lookup: () => findOwn(client, inputs),
        log: ctx.log,
        lookupDelayMs: ctx.settings().pollIntervalMs,
      }),
    inputs,
    ctx.log,
  );
  ctx.log.info(`endpoint "${inputs.name}": created ${id} on model unit ${modelUnitId}`);
  return id;
}

async function adoptExisting(client: ArkClient, id: string, inputs: Inputs, ctx: ControllerContext): Promise<string> {
  const live = await findEndpoint(client, id);
  if (!live) throw new Error(`adoptExistingId ${id}: no such endpoint in Ark`);
  const model = live.ModelReference.CustomModelId ?? 'a foundation model';
  if (model !== inputs.customModelId) {
    throw new Error(`adoptExistingId ${id}: the endpoint serves ${model}, but customModelId is ${inputs.customModelId}`);
  }
  if (live.ModelUnitId === undefined || !unitsOf(inputs).includes(live.ModelUnitId)) {
    throw new Error(`adoptExistingId ${id}: the endpoint runs on model unit ${live.ModelUnitId ?? '(none)'}, but modelUnitId is ${inputs.modelUnitId}${inputs.standbyModelUnitId ? ` and standbyModelUnitId ${inputs.standbyModelUnitId}` : ''}`);
  }
  ctx.log.info(`endpoint ${id}: adopted as requested by adoptExistingId; its name, limits and tags are brought in line with the inputs`);
  return id;
}

/**
 * Brings an existing endpoint to the inputs: UpdateEndpoint for what differs, StartEndpoint when it was stopped,
 * then waits until Running. Create (after adopting), update and the resumption of a partial create share it.
 */
async function converge(client: ArkClient, id: string, inputs: Inputs, ctx: ControllerContext, operation: TimedOperation): Promise<Outputs> {
  const settings = ctx.settings();
  const live = await findEndpoint(client, id);
  if (!live || live.Status === 'Deleting') {
    throw new Error(
      `endpoint ${id} no longer exists in Ark (deleted outside Pulumi?): run \`pulumi refresh\` to drop it from the state, then \`pulumi up\` to create it again`,
    );
  }
  const patch = updatePatch(live, inputs);
  if (patch) {
    ctx.log.info(`endpoint ${id}: updating ${Object.keys(patch).join(', ')}`);
    // DryRun is required in the newer SDK's type (F10): sent, false, so a stricter Ark never refuses the update.
    await client.call('UpdateEndpoint', { Id: id, DryRun: false, ...patch });
  }
  if (live.Status === 'Abnormal') {
    const unit = live.ModelUnitId ?? inputs.modelUnitId;
    const reason = (await unitIsGone(client, unit, createRequest(inputs)))
      ? new ModelUnitGoneError(unit, `endpoint ${id} is Abnormal on it: ${live.StatusReason || 'the service gave no reason'}; an endpoint whose unit is gone cannot serve again`).message
      : abnormalReason(id, live.StatusReason);
    throw new PartialFailureError(id, outputsFor(inputs, live, settings), reason);
  }
  if (live.Status === 'Stopped') {
    ctx.log.info(`endpoint ${id}: Stopped (outside Pulumi); starting it again`);
    await tolerateStateRace(() => client.call('StartEndpoint', { Id: id }));
  }
  // A create, or an endpoint that was not serving, says when it serves (again).
  return awaitRunning(client, id, inputs, settings, ctx, operation, operation === 'create' || live.Status !== 'Running');
}

/** The fields UpdateEndpoint must change, or undefined when the endpoint already matches. */
export function updatePatch(live: Endpoint, inputs: Inputs): Omit<UpdateEndpointRequest, 'Id' | 'DryRun'> | undefined {
  const patch: Omit<UpdateEndpointRequest, 'Id' | 'DryRun'> = {};
  if (live.Name !== inputs.name) patch.Name = inputs.name;
  if ((live.Description ?? '') !== (inputs.description ?? '')) patch.Description = inputs.description ?? '';
  if (inputs.rateLimit && (live.RateLimit?.Rpm !== inputs.rateLimit.rpm || live.RateLimit?.Tpm !== inputs.rateLimit.tpm)) {
    patch.RateLimit = { Rpm: inputs.rateLimit.rpm, Tpm: inputs.rateLimit.tpm };
  }
  if (inputs.moderation && live.Moderation?.Strategy !== inputs.moderation) patch.Moderation = moderationOf(inputs);
  const tags = toApiTags(inputs.tags, inputs.owner);
  if (!sameValue(plainTags(live.Tags), tags)) patch.Tags = tags;
  return Object.keys(patch).length ? patch : undefined;
}

async function awaitRunning(
  client: ArkClient,
  id: string,
  inputs: Inputs,
  settings: ProviderSettings,
  ctx: ControllerContext,
  operation: TimedOperation,
  announce: boolean,
): Promise<Outputs> {
  const timeoutMs = operationTimeoutMs(ctx, operation, inputs.createTimeoutSeconds, DEFAULT_CREATE_TIMEOUT_SECONDS);
  try {
    const { value } = await waitEndpoint(client, id, 'Running', ENDPOINT_RUNNING, {
      timeoutMs,
      interval: pollIntervalFrom(settings.pollIntervalMs),
      onProgress: logProgress(ctx.log, `endpoint ${id}`, 'Running', timeoutMs),
      signal: ctx.signal,
    });
    const running = value as Endpoint;
    // The moment it (again) serves: the counterpart of delete's "down from" line during a replacement.
    if (announce) ctx.log.info(`endpoint ${id}: Running on model unit ${running.ModelUnitId ?? inputs.modelUnitId} at ${clockTime()}, serving`);
    return outputsFor(inputs, running, settings);
  } catch (error) {
    if (error instanceof WaitFailedError && error.value) {
      const live = error.value as Endpoint;
      const reason = live.Status === 'Abnormal' ? abnormalReason(id, live.StatusReason) : error.message;
      throw new PartialFailureError(id, outputsFor(inputs, live, settings), reason);
    }
    if (error instanceof WaitTimeoutError && error.lastValue) {
      const reason = `${error.message}. The endpoint exists and stays in the state; the next \`pulumi up\` resumes waiting.`;
      throw new PartialFailureError(id, outputsFor(inputs, error.lastValue as Endpoint, settings), reason);
    }
    throw error;
  }
}

/** Wall-clock time for the log lines that say when an endpoint stopped and started serving. */
function clockTime(): string {
  return `${new Date(systemClock.now()).toISOString().slice(11, 19)} UTC`;
}

function abnormalReason(id: string, statusReason: string | undefined): string {
  return (
    `endpoint ${id} is Abnormal: ${statusReason || 'the service gave no reason'}. It stays in the state; fix the cause ` +
    '(or change the model or model unit to replace it) and run `pulumi up` again.'
  );
}

/** Stop/Start answered "wrong status": the endpoint moved meanwhile; the caller re-reads and decides again. */
async function tolerateStateRace(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!hasCode(error, 'OperationDenied.EndpointStatus')) throw error;
  }
}

/**
 * The request's moderation block. The input takes any strategy (only a warning for undocumented ones), and so
 * does the request contract (provider/api/ark.ts ModerationSchema).
 */
function moderationOf(inputs: Inputs): CreateEndpointRequest['Moderation'] {
  return inputs.moderation ? { Strategy: inputs.moderation } : undefined;
}

// ----------------------------------------------------------------------------------------------------- mapping

function outputsFor(inputs: Inputs, live: Endpoint, settings: ProviderSettings): Outputs {
  return {
    ...inputs,
    servingModelUnitId: live.ModelUnitId,
    status: live.Status,
    statusReason: live.StatusReason || undefined,
    chatBaseUrl: settings.chatBaseUrl,
    createTime: live.CreateTime,
    updateTime: live.UpdateTime,
  };
}

/**
 * State after refresh: live values where Ark reports them. Rate limit and moderation are taken from Ark only
 * when the inputs set them; otherwise the service's defaults would show as drift on every refresh. An import
 * (no stored state) takes both from Ark: they become inputs the importing program then states.
 */
export function outputsFromLive(props: Outputs, live: Endpoint, settings: ProviderSettings): Outputs {
  const importing = isImportRead(props, 'status');
  const tags = fromApiTags(live.Tags);
  // Absent ProjectName or Tags mean "not reported" (tolerant reader): the state keeps its values, no replacement.
  const liveProject = live.ProjectName ?? props.projectName ?? DEFAULT_PROJECT_NAME;
  return {
    ...props,
    name: live.Name,
    description: live.Description || undefined,
    customModelId: live.ModelReference.CustomModelId ?? props.customModelId,
    // The unit it runs on is news; modelUnitId stays the input (the endpoint may run on the standby unit).
    modelUnitId: props.modelUnitId ?? live.ModelUnitId,
    servingModelUnitId: live.ModelUnitId ?? props.servingModelUnitId,
    rateLimit: (importing || props.rateLimit) && live.RateLimit ? rateLimitFromLive(live.RateLimit, props.rateLimit) : props.rateLimit,
    moderation: (importing || props.moderation) && live.Moderation ? live.Moderation.Strategy : props.moderation,
    tags: live.Tags === undefined ? props.tags : Object.keys(tags).length ? tags : undefined,
    projectName: liveProject === (props.projectName ?? DEFAULT_PROJECT_NAME) ? props.projectName : liveProject,
    status: live.Status,
    statusReason: live.StatusReason || undefined,
    chatBaseUrl: settings.chatBaseUrl,
    createTime: live.CreateTime,
    updateTime: live.UpdateTime,
  };
}

/**
 * Live Rpm/Tpm where Ark reports them; one it leaves out keeps the stored value (tolerant reader). Without a
 * stored value (an import) both must be reported, or the input stays unset.
 */
function rateLimitFromLive(live: NonNullable<Endpoint['RateLimit']>, stored: Outputs['rateLimit']): Outputs['rateLimit'] {
  const rpm = live.Rpm ?? stored?.rpm;
  const tpm = live.Tpm ?? stored?.tpm;
  return rpm !== undefined && tpm !== undefined ? { rpm, tpm } : stored;
}
