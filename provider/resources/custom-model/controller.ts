import { createHash } from 'node:crypto';
import { type CustomModel, DEFAULT_PROJECT_NAME, QUANTIZATIONS, type UploadBaseRef } from '../../api/ark';
import { isKnown } from '../../api/reader';
import { tosUri } from '../../api/tos';
import { describeBaseRef, uploadModelRequest } from '../../api/upload-model';
import { type ArkClient, arkClientFor } from '../../clients/ark/client';
import { createOnce } from '../../clients/ark/create-once';
import { hasCode, isNotFound } from '../../clients/ark/errors';
import {
  findCustomModel,
  findEndpointsUsingModel,
  findOwnedCustomModels,
  fromApiTags,
  readCustomModel,
  readEndpoint,
  toApiTags,
  type Unreadable,
  unreadableWarning,
} from '../../clients/ark/finders';
import { WaitFailedError, WaitTimeoutError, formatSeconds, pollIntervalFrom } from '../../clients/ark/waiter';
import { MODEL_GONE, MODEL_READY, STATUS_NOT_REPORTED, logProgress, waitCustomModel } from '../../clients/ark/waiters';
import { sleepUnlessAborted, systemClock } from '../../clients/retry';
import { type BaseModelEntry, baseModelByArkRef, resolveBaseModel, supportedBaseList } from '../../model/catalogue';
import { type ControllerContext, operationTimeoutMs, PartialFailureError, type TimedOperation, type ResourceController } from '../controller';
import { keepCreatedOnFailure } from '../partial-create';
import { checkWithSchema, diffProperties, isImportRead, pickInputs } from '../properties';
import {
  DEFAULT_CREATE_TIMEOUT_SECONDS,
  DEFAULT_DELETE_TIMEOUT_SECONDS,
  INPUT_KEYS,
  type Inputs,
  InputsSchema,
  type Outputs,
  TOS_LOCATION_PATTERN,
} from './schema';

/** Inputs whose change imports a new model: everything the import reads, plus what Ark cannot change later. */
export const replaceOnChanges = ['baseModel', 'baseModelRef', 'location', 'contentDigest', 'quantization', 'tags', 'projectName'] as const;
/** Inputs never compared: `owner` is derived from the resource name, `adoptExistingId` is only read at create. */
const ignoreChanges = ['owner', 'adoptExistingId'] as const;

export const customModelController: ResourceController<Inputs, Outputs> = {
  async check(_olds, news) {
    const { inputs, failures, unknown } = checkWithSchema(InputsSchema, news);
    if (!inputs) return { failures };
    if (!unknown.has('baseModel')) {
      const base = resolveBaseModel(inputs.baseModel);
      if (!base) {
        const reason = `"${inputs.baseModel}" is not a supported base model; expected one of: ${supportedBaseList()}`;
        return { failures: [{ property: 'baseModel', reason }] };
      }
      // Store the catalogue id, so `Qwen/Qwen2.5-7B` and `Qwen2.5-7B` never differ in a diff.
      inputs.baseModel = base.id;
    }
    return { inputs };
  },

  async diff(_id, olds, news) {
    const { changed, replaces } = diffProperties(olds, news, INPUT_KEYS, { replaceOnChanges, ignore: ignoreChanges });
    // A model not Ready (timed-out or failed import) needs an update that resumes waiting and reports again.
    const unfinished = olds.status !== 'Ready';
    return { changes: changed.length > 0 || unfinished, changed, replaces };
  },

  async create(inputs, ctx) {
    const client = arkClientFor(ctx);
    const base = requireBase(inputs.baseModel);
    const modelName = arkModelName(inputs);
    let id: string;
    if (inputs.adoptExistingId) {
      id = await adoptExisting(client, inputs.adoptExistingId, inputs, base, ctx);
    } else {
      const earlier = await findOwn(client, inputs, modelName);
      if (earlier) ctx.log.info(`custom model "${modelName}": adopting ${earlier}, imported by an earlier interrupted run of this resource`);
      id = earlier ?? (await importModel(client, inputs, base, modelName, ctx));
    }
    const properties = () => ({ ...inputs, modelName });
    const outs = await keepCreatedOnFailure({ id, what: 'custom model', properties }, () => converge(client, id, inputs, base, ctx, 'create'));
    return { id, outs };
  },

  async read(id, props, ctx) {
    const client = arkClientFor(ctx);
    const read = await readCustomModel(client, id);
    if (!read || read.value.Status === 'Deleting') return {};
    // Refresh needs only to know the model exists: what it cannot read of the answer keeps the state's value.
    // An import has no state to fall back on.
    if (read.unreadable.length && isImportRead(props, 'status')) throw read.unreadable[0]!.error;
    if (read.unreadable.length) {
      ctx.log.warn(unreadableWarning(`custom model ${id}`, read.unreadable, "refresh keeps the state's values for those and goes on"));
    }
    // No status from Get or the List (a model the List does not show): the state's, or for an import, none.
    const live: CustomModel = {
      Name: props.modelName,
      Status: props.status ?? STATUS_NOT_REPORTED,
      CreateTime: props.createTime,
      UpdateTime: props.updateTime,
      ...read.value,
    };
    const outs = outputsFromLive(props, live);
    return { id, props: outs, inputs: pickInputs<Inputs>(outs, INPUT_KEYS) };
  },

  async exists(id, ctx) {
    // Any answer tells that the model is there; fields it could not read do not matter here.
    const read = await readCustomModel(arkClientFor(ctx), id);
    return read !== undefined && read.value.Status !== 'Deleting';
  },

  async update(id, _olds, news, ctx) {
    const client = arkClientFor(ctx);
    return { outs: await converge(client, id, news, requireBase(news.baseModel), ctx, 'update') };
  },

  /**
   * Needs only the id, whether the model still exists and which endpoints still use it: every read here is
   * tolerant, and each answer it could not fully read is named once in a warning (see TolerantRead).
   */
  async delete(id, props, ctx) {
    const settings = ctx.settings();
    const client = arkClientFor(ctx);
    const warned = new Set<string>();
    const onUnreadable = (what: string) => (unreadable: readonly Unreadable[]) => {
      const message = unreadableWarning(what, unreadable, 'delete goes on');
      if (!warned.has(message)) ctx.log.warn(message);
      warned.add(message);
    };
    const timeoutMs = operationTimeoutMs(ctx, 'delete', props.deleteTimeoutSeconds, DEFAULT_DELETE_TIMEOUT_SECONDS);
    const started = systemClock.now();
    const interval = pollIntervalFrom(settings.pollIntervalMs);
    let delayMs = interval.initialMs;
    for (;;) {
      let inUse: Error;
      try {
        await client.call('DeleteCustomModel', { Id: id });
        break;
      } catch (error) {
        if (isNotFound(error)) return;
        if (!hasCode(error, 'OperationDenied.CustomModelInUse')) throw error;
        inUse = error;
      }
      // In use: refuse clearly if a live endpoint serves it; wait (bounded) if every user is being deleted, the
      // normal case when Pulumi replaced the endpoint just before deleting this model.
      const listed = await findEndpointsUsingModel(client, id);
      if (listed.unreadable.length) onUnreadable(`endpoints using custom model ${id}`)(listed.unreadable);
      const users = listed.items;
      // An endpoint whose status cannot be read counts as serving: refusing says what to do, waiting might not end.
      const serving = users.filter((e) => e.Status !== 'Deleting');
      if (users.length === 0) {
        // No endpoint serves it, yet it is in use: a rollout still needs it (its target, or the model a rollback
        // returns to). That ends only by the rollout finishing, so refuse with the service's words.
        throw new Error(`cannot delete custom model ${id} ("${props.modelName}"): ${inUse.message}. Wait for the rollout to finish, then delete again.`);
      }
      if (serving.length) {
        const list = serving.map((e) => `${e.Id} ("${e.Name ?? '?'}", ${e.Status ?? STATUS_NOT_REPORTED})`).join(', ');
        throw new Error(
          `cannot delete custom model ${id} ("${props.modelName}"): endpoint(s) ${list} still use it. ` +
            'Delete those endpoints or point them at another model first.',
        );
      }
      const elapsedMs = systemClock.now() - started;
      if (elapsedMs >= timeoutMs) {
        const list = users.map((e) => e.Id).join(', ') || '(none listed)';
        throw new Error(
          `cannot delete custom model ${id} ("${props.modelName}"): endpoint(s) ${list} were still being deleted after ` +
            `${formatSeconds(elapsedMs)} (delete timeout ${timeoutMs / 1000} s); run \`pulumi destroy\` again later`,
        );
      }
      ctx.log.info(`custom model ${id}: waiting for endpoint(s) ${users.map((e) => e.Id).join(', ')} to finish deleting`);
      // Reading each endpoint is what a real poll does; it also lets a lazily advancing service move on.
      for (const endpoint of users) await readEndpoint(client, endpoint.Id);
      await sleepUnlessAborted(systemClock, Math.min(delayMs, timeoutMs - elapsedMs), ctx.signal);
      delayMs = Math.min(interval.maxMs, delayMs * interval.factor);
    }
    const remainingMs = Math.max(1, timeoutMs - (systemClock.now() - started));
    await waitCustomModel(client, id, 'deleted', MODEL_GONE, {
      timeoutMs: remainingMs,
      interval,
      onProgress: logProgress(ctx.log, `custom model ${id}`, 'deleted', remainingMs),
      signal: ctx.signal,
      onUnreadable: onUnreadable(`custom model ${id}`),
    });
  },
};

// ----------------------------------------------------------------------------------------------------- helpers

/**
 * `<name>-<8 hex>`: the suffix changes exactly when a replacement import happens (see schema.ts). A model
 * brought in by `pulumi import` keeps the name Ark has (its `contentDigest` is `imported:<id>`, see
 * outputsFromLive): the digest that named it cannot be recovered.
 */
export function arkModelName(inputs: Pick<Inputs, 'name' | 'contentDigest' | 'baseModel' | 'baseModelRef' | 'quantization' | 'location'>): string {
  if (inputs.contentDigest.startsWith(IMPORTED_DIGEST_PREFIX)) return inputs.name;
  return `${inputs.name}-${nameSuffix(inputs)}`;
}

/**
 * The contentDigest of an imported model. Ark does not know which content a model was imported from, so an
 * import cannot report a real digest; this stands for "the content it has now". Setting a real digest later
 * (from a TosModelDir) imports a new model from that content, as any digest change does.
 */
export const IMPORTED_DIGEST_PREFIX = 'imported:';

function nameSuffix(inputs: Pick<Inputs, 'contentDigest' | 'baseModel' | 'baseModelRef' | 'quantization' | 'location'>): string {
  // baseModelRef joins the identity only when set, so models imported before it existed keep their names.
  const ref = inputs.baseModelRef ? [describeBaseRef(baseRefOf(inputs.baseModelRef))] : [];
  const identity = JSON.stringify([inputs.contentDigest, inputs.baseModel, inputs.quantization ?? '', inputs.location, ...ref]);
  return createHash('sha256').update(identity).digest('hex').slice(0, 8);
}

function requireBase(baseModel: string): BaseModelEntry {
  const base = resolveBaseModel(baseModel);
  if (!base) throw new Error(`baseModel "${baseModel}" is not a supported base model; expected one of: ${supportedBaseList()}`);
  return base;
}

/** The wire form of a `baseModelRef` input (check guarantees id alone, or name and modelVersion). */
export function baseRefOf(ref: NonNullable<Inputs['baseModelRef']>): UploadBaseRef {
  return ref.id !== undefined ? { Id: ref.id } : { Name: ref.name!, ModelVersion: ref.modelVersion! };
}

/** The reference UploadModel sends: the one the resource names, else the catalogue's for its base. */
export function importBaseRef(inputs: Pick<Inputs, 'baseModelRef'>, base: BaseModelEntry): UploadBaseRef {
  return inputs.baseModelRef ? baseRefOf(inputs.baseModelRef) : base.ark;
}

export function parseTosLocation(location: string): { bucket: string; prefix: string } {
  const match = TOS_LOCATION_PATTERN.exec(location);
  if (!match) throw new Error(`location "${location}" is not a TOS directory URI; expected tos://bucket/prefix/`);
  return { bucket: match[1], prefix: match[2] };
}

async function findOwn(client: ArkClient, inputs: Inputs, modelName: string): Promise<string | undefined> {
  const owned = await findOwnedCustomModels(client, { name: modelName, owner: inputs.owner, projectName: inputs.projectName });
  return owned[0]?.Id;
}

async function importModel(client: ArkClient, inputs: Inputs, base: BaseModelEntry, modelName: string, ctx: ControllerContext): Promise<string> {
  const { bucket, prefix } = parseTosLocation(inputs.location);
  const request = uploadModelRequest({
    modelName,
    description: inputs.description,
    projectName: inputs.projectName,
    base: importBaseRef(inputs, base),
    bucket,
    prefix,
    quantization: inputs.quantization,
    tags: toApiTags(inputs.tags, inputs.owner),
  });
  try {
    return await createOnce({
      what: `custom model "${modelName}"`,
      create: async () => (await client.call('UploadModel', request)).Id,
      lookup: () => findOwn(client, inputs, modelName),
      log: ctx.log,
      lookupDelayMs: ctx.settings().pollIntervalMs,
      signal: ctx.signal,
    });
  } catch (error) {
    if (hasCode(error, 'Duplicate.Name')) {
      throw new Error(
        `cannot import custom model "${modelName}": Ark already has a model of that name that this resource did not create ` +
          `(owner tag ${inputs.owner} not found on it). Choose another name, or take it over with adoptExistingId.`,
      );
    }
    throw error;
  }
}

async function adoptExisting(client: ArkClient, id: string, inputs: Inputs, base: BaseModelEntry, ctx: ControllerContext): Promise<string> {
  const live = await findCustomModel(client, id);
  if (!live) throw new Error(`adoptExistingId ${id}: no such custom model in Ark`);
  const expected = importBaseRef(inputs, base);
  const foundBase = live.FoundationModel ? describeBaseRef(live.FoundationModel) : 'none';
  const named = inputs.baseModelRef ? 'baseModelRef' : `baseModel ${inputs.baseModel}`;
  // A model card named by fm- id cannot be compared: Ark reports a base as {Name, ModelVersion} (F7).
  if ('Id' in expected) {
    ctx.log.info(`custom model ${id}: imported for base ${foundBase}; baseModelRef names ${expected.Id}, which Ark's answer cannot be compared with`);
  } else if (foundBase !== describeBaseRef(expected)) {
    throw new Error(`adoptExistingId ${id}: the model was imported for base ${foundBase}, but ${named} expects ${describeBaseRef(expected)}`);
  }
  const foundLocation = live.TosLocation ? tosUri(live.TosLocation.BucketName, live.TosLocation.ObjectKey) : undefined;
  if (foundLocation !== undefined && foundLocation !== inputs.location) {
    throw new Error(`adoptExistingId ${id}: the model was imported from ${foundLocation}, but location is ${inputs.location}`);
  }
  ctx.log.info(`custom model ${id}: adopted as requested by adoptExistingId`);
  return id;
}

/** Renames/redescribes what differs (UpdateCustomModel), then waits Ready: create after adopting, and update. */
async function converge(
  client: ArkClient,
  id: string,
  inputs: Inputs,
  base: BaseModelEntry,
  ctx: ControllerContext,
  operation: TimedOperation,
): Promise<Outputs> {
  const live = await findCustomModel(client, id);
  if (!live || live.Status === 'Deleting') {
    throw new Error(
      `custom model ${id} no longer exists in Ark (deleted outside Pulumi?): run \`pulumi refresh\` to drop it from the state, then \`pulumi up\` to import it again`,
    );
  }
  const modelName = arkModelName(inputs);
  const rename = live.Name !== modelName;
  const redescribe = (live.Description ?? '') !== (inputs.description ?? '');
  if (rename || redescribe) {
    ctx.log.info(`custom model ${id}: updating ${[rename && 'name', redescribe && 'description'].filter(Boolean).join(' and ')}`);
    await client.call('UpdateCustomModel', {
      Id: id,
      Name: rename ? modelName : undefined,
      Description: redescribe ? (inputs.description ?? '') : undefined,
    });
  }
  return awaitReady(client, id, inputs, base, ctx, operation);
}

async function awaitReady(
  client: ArkClient,
  id: string,
  inputs: Inputs,
  base: BaseModelEntry,
  ctx: ControllerContext,
  operation: TimedOperation,
): Promise<Outputs> {
  const settings = ctx.settings();
  const timeoutMs = operationTimeoutMs(ctx, operation, inputs.createTimeoutSeconds, DEFAULT_CREATE_TIMEOUT_SECONDS);
  const what = `custom model ${id}`;
  try {
    const { value } = await waitCustomModel(client, id, 'Ready', MODEL_READY, {
      timeoutMs,
      interval: pollIntervalFrom(settings.pollIntervalMs),
      onProgress: logProgress(ctx.log, what, 'Ready', timeoutMs),
      signal: ctx.signal,
    });
    return outputsFor(inputs, base, value as CustomModel);
  } catch (error) {
    if (error instanceof WaitFailedError && error.value) {
      const reason = `${what} import ended with status ${error.status}: ${error.reason ?? 'the service gave no reason'}`;
      throw new PartialFailureError(id, outputsFor(inputs, base, error.value as CustomModel), reason);
    }
    if (error instanceof WaitTimeoutError && error.lastValue) {
      const reason = `${error.message}. The model exists and stays in the state; the next \`pulumi up\` resumes waiting.`;
      throw new PartialFailureError(id, outputsFor(inputs, base, error.lastValue as CustomModel), reason);
    }
    throw error;
  }
}

// ----------------------------------------------------------------------------------------------------- mapping

function outputsFor(inputs: Inputs, base: BaseModelEntry, model: CustomModel): Outputs {
  const sent = importBaseRef(inputs, base);
  const ref = model.FoundationModel ?? ('Name' in sent ? sent : undefined);
  return {
    ...inputs,
    modelName: model.Name,
    status: model.Status ?? STATUS_NOT_REPORTED,
    statusReason: model.StatusReason || undefined,
    foundationModel: ref && { name: ref.Name, modelVersion: ref.ModelVersion },
    createTime: model.CreateTime,
    updateTime: model.UpdateTime,
  };
}

/** State after refresh: the live values where Ark reports them, the stored ones where it cannot (digest, timeouts). */
export function outputsFromLive(stored: Outputs, live: CustomModel): Outputs {
  const props = isImportRead(stored, 'status') ? { ...stored, contentDigest: `${IMPORTED_DIGEST_PREFIX}${live.Id}` } : stored;
  const suffix = `-${nameSuffix(props)}`;
  const tags = fromApiTags(live.Tags);
  // Absent ProjectName or Tags mean "not reported" (tolerant reader): the state keeps its values, no replacement.
  const liveProject = live.ProjectName ?? props.projectName ?? DEFAULT_PROJECT_NAME;
  const baseModel = live.FoundationModel ? baseModelByArkRef(live.FoundationModel)?.id : undefined;
  return {
    ...props,
    name: live.Name.endsWith(suffix) ? live.Name.slice(0, -suffix.length) : live.Name,
    description: live.Description || undefined,
    baseModel: baseModel ?? props.baseModel,
    location: live.TosLocation ? tosUri(live.TosLocation.BucketName, live.TosLocation.ObjectKey) : props.location,
    // An import's precision never changes (UpdateCustomModel cannot), so only a value in our own names is news;
    // an absent field or another vocabulary leaves the declared one in place instead of forcing a replacement.
    quantization: isKnown(QUANTIZATIONS, live.Quantization) ? live.Quantization : props.quantization,
    tags: live.Tags === undefined ? props.tags : Object.keys(tags).length ? tags : undefined,
    projectName: liveProject === (props.projectName ?? DEFAULT_PROJECT_NAME) ? props.projectName : liveProject,
    modelName: live.Name,
    status: live.Status ?? props.status,
    statusReason: live.StatusReason || undefined,
    foundationModel: live.FoundationModel
      ? { name: live.FoundationModel.Name, modelVersion: live.FoundationModel.ModelVersion }
      : props.foundationModel,
    createTime: live.CreateTime,
    updateTime: live.UpdateTime,
  };
}
