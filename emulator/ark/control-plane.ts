import { randomBytes } from 'node:crypto';
import {
  DEFAULT_PROJECT_NAME,
  type ArkRequest,
  type ArkResult,
  type CustomModel,
  type CustomModelStatus,
  type Endpoint,
  type EndpointStatus,
  type Quantization,
} from '../../provider/api/ark';
import { ArkErrors } from '../../provider/api/errors';
import { newResourceId } from '../../provider/api/ids';
import {
  emptyControlPlaneState,
  modelUnitView,
  type ApiKeyRecord,
  type ControlPlaneState,
  type CustomModelRecord,
  type EndpointRecord,
  type ModelUnitView,
} from '../state/control-plane';
import type { StatePersistence } from '../state/persistence';
import { advanceOnRead, freshProgress, type Clock, type Progress, type TransitionPolicy } from '../state/transitions';
import { ArkApiError, invalidParameter, missingParameter, notFound } from './errors';
import { assertUniqueTagKeys, inSet, listPage, nameMatches } from './listing';

/**
 * The behaviour of the Ark control plane: resources, their state machines, and the rules that refuse
 * operations (docs/api-assumptions.md "Ark control plane" lists every inferred rule and points here).
 * Transport-free: the HTTP service validates requests with the provider/api schemas and calls these methods;
 * the admin routes call the `admin*` methods.
 */

/** Endpoint states that move on by themselves when read. */
export const TRANSITIONAL_ENDPOINT_STATUSES: readonly EndpointStatus[] = ['Scheduling', 'Deleting'];
/** Endpoint states DeleteEndpoint accepts; anything else is `OperationDenied.EndpointStatus`. */
export const DELETABLE_ENDPOINT_STATUSES: readonly EndpointStatus[] = ['Stopped', 'Abnormal'];
/** Endpoint states StopEndpoint accepts. */
export const STOPPABLE_ENDPOINT_STATUSES: readonly EndpointStatus[] = ['Running', 'Scheduling', 'Abnormal'];
/** Endpoint states StartEndpoint accepts. */
export const STARTABLE_ENDPOINT_STATUSES: readonly EndpointStatus[] = ['Stopped', 'Abnormal'];
/** Custom model states that move on by themselves when read: Preparing -> Processing -> Ready | Failed. */
export const TRANSITIONAL_MODEL_STATUSES: readonly CustomModelStatus[] = ['Preparing', 'Processing', 'Deleting'];
/** Slots a model unit gets when the admin route does not say: 2, so a create-before-delete replacement fits. */
export const DEFAULT_MODEL_UNIT_SLOTS = 2;
/** SourceType of models created by UploadModel (the docs only show `Customization`). */
export const IMPORT_SOURCE_TYPE = 'Import';
/** Prefix of temporary data-plane keys issued by GetApiKey (real keys are opaque strings). */
export const TEMP_API_KEY_PREFIX = 'ark-tmp-';

/** Verdict of reading an imported model's TOS directory. */
export type ImportVerdict = { ok: true; quantization: Quantization | null } | { ok: false; reason: string };
export type ModelImporter = (model: CustomModel) => Promise<ImportVerdict>;

export interface ControlPlaneDeps {
  persistence: StatePersistence;
  clock: Clock;
  policy: TransitionPolicy;
  bucketExists(bucket: string): Promise<boolean>;
  importModel: ModelImporter;
  /** The foundation models UploadModel accepts, as `{Name, ModelVersion}` refs; returns a reason when unsupported. */
  checkFoundationModel(ref: { Name: string; ModelVersion: string }): string | undefined;
  random?: () => number;
}

export class ArkControlPlane {
  private state: ControlPlaneState;
  private policy: TransitionPolicy;
  private readonly initialPolicy: TransitionPolicy;
  /** Imports being validated, so concurrent reads share one run. */
  private readonly imports = new Map<string, Promise<ImportVerdict>>();

  constructor(private readonly deps: ControlPlaneDeps) {
    this.state = deps.persistence.load();
    this.policy = deps.policy;
    this.initialPolicy = deps.policy;
  }

  // ------------------------------------------------------------------------------------------------ endpoints

  createEndpoint(req: ArkRequest<'CreateEndpoint'>): ArkResult<'CreateEndpoint'> {
    assertUniqueTagKeys(req.Tags);
    const ref = req.ModelReference;
    if ((ref.CustomModelId === undefined) === (ref.FoundationModel === undefined)) {
      throw invalidParameter('ModelReference', 'expected exactly one of CustomModelId or FoundationModel');
    }
    if (ref.CustomModelId !== undefined) {
      const model = this.findModel(ref.CustomModelId);
      if (!model) throw notFound('CustomModel', ref.CustomModelId);
      if (model.model.Status !== 'Ready') {
        throw new ArkApiError('OperationDenied.InvalidState', `The CustomModel "${ref.CustomModelId}" is ${model.model.Status}; an endpoint needs a Ready model.`);
      }
      if (!req.ModelUnitId) throw missingParameter('ModelUnitId', 'for an endpoint on an uploaded custom model (it can only be served on a model unit)');
    }
    if (req.ModelUnitId) this.assertFreeSlot(req.ModelUnitId);
    if (req.DryRun) throw dryRunPassed();

    const now = this.deps.clock();
    const endpoint: Endpoint = {
      Id: newResourceId('ep', new Date(now), this.deps.random),
      Name: req.Name,
      Description: req.Description ?? '',
      ProjectName: req.ProjectName ?? DEFAULT_PROJECT_NAME,
      Tags: req.Tags ?? [],
      ModelReference: ref,
      EndpointModelType: ref.CustomModelId !== undefined ? 'CustomModel' : 'FoundationModel',
      ModelUnitId: req.ModelUnitId || undefined,
      Status: 'Scheduling',
      RateLimit: req.RateLimit,
      Moderation: req.Moderation,
      CreateTime: rfc3339(now),
      UpdateTime: rfc3339(now),
      SupportRolling: false,
      BatchOnly: false,
    };
    this.state.endpoints.push({ endpoint, progress: freshProgress(now) });
    this.persist();
    return { Id: endpoint.Id };
  }

  async getEndpoint(req: ArkRequest<'GetEndpoint'>): Promise<ArkResult<'GetEndpoint'>> {
    const record = await this.readEndpoint(req.Id);
    return copy(record.endpoint);
  }

  async listEndpoints(req: ArkRequest<'ListEndpoints'>): Promise<ArkResult<'ListEndpoints'>> {
    await this.advanceAll(true);
    const f = req.Filter ?? {};
    const items = this.state.endpoints
      .map((r) => r.endpoint)
      .filter(
        (e) =>
          inSet(e.Id, f.Ids) &&
          nameMatches(e.Name, f.Name) &&
          inSet(e.Status, f.Statuses) &&
          inSet(e.ModelReference.CustomModelId, f.CustomModelIds) &&
          (f.FoundationModelName === undefined || e.ModelReference.FoundationModel?.Name === f.FoundationModelName) &&
          inSet(e.ModelReference.FoundationModel?.ModelVersion, f.ModelVersions) &&
          (req.ProjectName === undefined || e.ProjectName === req.ProjectName),
      );
    return copy(listPage(items, req));
  }

  async updateEndpoint(req: ArkRequest<'UpdateEndpoint'>): Promise<ArkResult<'UpdateEndpoint'>> {
    const record = await this.touchEndpoint(req.Id);
    this.assertEndpointStatus(record, ['Scheduling', 'Running', 'Stopped', 'Abnormal'], 'UpdateEndpoint');
    assertUniqueTagKeys(req.Tags);
    const e = record.endpoint;
    if (req.Name !== undefined) e.Name = req.Name;
    if (req.Description !== undefined) e.Description = req.Description;
    if (req.RateLimit !== undefined) e.RateLimit = req.RateLimit;
    if (req.Moderation !== undefined) e.Moderation = req.Moderation;
    if (req.Tags !== undefined) e.Tags = req.Tags;
    e.UpdateTime = rfc3339(this.deps.clock());
    this.persist();
    return {};
  }

  async startEndpoint(req: ArkRequest<'StartEndpoint'>): Promise<ArkResult<'StartEndpoint'>> {
    const record = await this.touchEndpoint(req.Id);
    this.assertEndpointStatus(record, STARTABLE_ENDPOINT_STATUSES, 'StartEndpoint');
    this.setEndpointStatus(record, 'Scheduling');
    this.persist();
    return {};
  }

  async stopEndpoint(req: ArkRequest<'StopEndpoint'>): Promise<ArkResult<'StopEndpoint'>> {
    const record = await this.touchEndpoint(req.Id);
    this.assertEndpointStatus(record, STOPPABLE_ENDPOINT_STATUSES, 'StopEndpoint');
    this.setEndpointStatus(record, 'Stopped');
    this.persist();
    return {};
  }

  async deleteEndpoint(req: ArkRequest<'DeleteEndpoint'>): Promise<ArkResult<'DeleteEndpoint'>> {
    const record = await this.touchEndpoint(req.Id);
    this.assertEndpointStatus(record, DELETABLE_ENDPOINT_STATUSES, 'DeleteEndpoint');
    this.setEndpointStatus(record, 'Deleting');
    this.persist();
    return {};
  }

  getApiKey(req: ArkRequest<'GetApiKey'>): ArkResult<'GetApiKey'> {
    const ids = req.ResourceIds ?? [];
    if (req.ResourceType === 'endpoint') {
      if (ids.length === 0) throw missingParameter('ResourceIds', 'when ResourceType is endpoint');
      for (const id of ids) if (!this.findEndpoint(id)) throw notFound('Endpoint', id);
    }
    const nowSeconds = Math.floor(this.deps.clock() / 1000);
    const record: ApiKeyRecord = {
      key: TEMP_API_KEY_PREFIX + randomBytes(24).toString('hex'),
      resourceType: req.ResourceType,
      resourceIds: ids,
      expiredTime: nowSeconds + req.DurationSeconds,
    };
    this.state.apiKeys = this.state.apiKeys.filter((k) => k.expiredTime > nowSeconds);
    this.state.apiKeys.push(record);
    this.persist();
    return { ApiKey: record.key, ExpiredTime: record.expiredTime };
  }

  // ------------------------------------------------------------------------------------------- custom models

  async uploadModel(req: ArkRequest<'UploadModel'>): Promise<ArkResult<'UploadModel'>> {
    assertUniqueTagKeys(req.Tags);
    this.assertModelNameFree(req.Name);
    const unsupported = this.deps.checkFoundationModel(req.FoundationModel);
    if (unsupported) throw new ArkApiError('NotFound.FoundationModel', unsupported);
    const location = normalizeTosLocation(req.TosLocation);
    if (!(await this.deps.bucketExists(location.BucketName))) {
      throw new ArkApiError('NotFound.TosBucket', `The TOS bucket "${location.BucketName}" does not exist in this region.`);
    }
    // Re-check after the await: a concurrent upload may have taken the name meanwhile.
    this.assertModelNameFree(req.Name);
    if (req.DryRun) throw dryRunPassed();

    const now = this.deps.clock();
    const model: CustomModel = {
      Id: newResourceId('cm', new Date(now), this.deps.random),
      Name: req.Name,
      Description: req.Description ?? '',
      ProjectName: req.ProjectName ?? DEFAULT_PROJECT_NAME,
      SourceType: IMPORT_SOURCE_TYPE,
      FoundationModel: req.FoundationModel,
      Status: 'Preparing',
      Quantization: req.Quantization,
      TosLocation: location,
      Tags: req.Tags ?? [],
      CreateTime: rfc3339(now),
      UpdateTime: rfc3339(now),
    };
    this.state.customModels.push({ model, progress: freshProgress(now) });
    this.persist();
    return { Id: model.Id };
  }

  async getCustomModel(req: ArkRequest<'GetCustomModel'>): Promise<ArkResult<'GetCustomModel'>> {
    const record = await this.readModel(req.Id);
    return copy(record.model);
  }

  async listCustomModels(req: ArkRequest<'ListCustomModels'>): Promise<ArkResult<'ListCustomModels'>> {
    await this.advanceAll(true);
    const f = req.Filter ?? {};
    const items = this.state.customModels
      .map((r) => r.model)
      .filter(
        (m) =>
          inSet(m.Id, f.Ids) &&
          nameMatches(m.Name, f.Name) &&
          inSet(m.Status, f.Statuses) &&
          (req.ProjectName === undefined || m.ProjectName === req.ProjectName),
      );
    return copy(listPage(items, req));
  }

  async updateCustomModel(req: ArkRequest<'UpdateCustomModel'>): Promise<ArkResult<'UpdateCustomModel'>> {
    const record = await this.touchModel(req.Id);
    if (record.model.Status === 'Deleting') {
      throw new ArkApiError('OperationDenied.InvalidState', `The CustomModel "${req.Id}" is Deleting; UpdateCustomModel needs a model that is not being deleted.`);
    }
    if (req.Name !== undefined && req.Name !== record.model.Name) this.assertModelNameFree(req.Name);
    if (req.DryRun) throw dryRunPassed();
    if (req.Name !== undefined) record.model.Name = req.Name;
    if (req.Description !== undefined) record.model.Description = req.Description;
    record.model.UpdateTime = rfc3339(this.deps.clock());
    this.persist();
    return { Id: record.model.Id };
  }

  async deleteCustomModel(req: ArkRequest<'DeleteCustomModel'>): Promise<ArkResult<'DeleteCustomModel'>> {
    const record = await this.touchModel(req.Id);
    if (record.model.Status === 'Deleting') {
      throw new ArkApiError('OperationDenied.InvalidState', `The CustomModel "${req.Id}" is already Deleting.`);
    }
    const users = this.state.endpoints.filter((e) => e.endpoint.ModelReference.CustomModelId === req.Id).map((e) => e.endpoint.Id);
    if (users.length > 0) {
      throw new ArkApiError('OperationDenied.CustomModelInUse', `The CustomModel "${req.Id}" is referenced by endpoint(s) ${users.join(', ')}; delete them first.`);
    }
    if (req.DryRun) throw dryRunPassed();
    record.model.Status = 'Deleting';
    delete record.model.StatusReason;
    record.model.UpdateTime = rfc3339(this.deps.clock());
    record.progress = freshProgress(this.deps.clock());
    this.persist();
    return {};
  }

  // ------------------------------------------------------------------------------- admin and other services

  /** The endpoint as the Chat API sees it (no read is counted: serving traffic does not advance state). */
  peekEndpoint(id: string): Endpoint | undefined {
    const record = this.findEndpoint(id);
    return record && copy(record.endpoint);
  }

  peekModel(id: string): CustomModel | undefined {
    const record = this.findModel(id);
    return record && copy(record.model);
  }

  findApiKey(key: string): ApiKeyRecord | undefined {
    return this.state.apiKeys.find((k) => k.key === key);
  }

  adminCreateModelUnit(input: { Name?: string; Slots?: number; FailWith?: string }): ModelUnitView {
    const now = this.deps.clock();
    const id = newResourceId('mu', new Date(now), this.deps.random);
    const unit = {
      Id: id,
      Name: input.Name ?? id,
      Slots: input.Slots ?? DEFAULT_MODEL_UNIT_SLOTS,
      ...(input.FailWith ? { FailWith: input.FailWith } : {}),
      CreateTime: rfc3339(now),
    };
    this.state.modelUnits.push(unit);
    this.persist();
    return modelUnitView(this.state, unit);
  }

  adminListModelUnits(): ModelUnitView[] {
    return this.state.modelUnits.map((u) => modelUnitView(this.state, u));
  }

  /** Forces an endpoint Abnormal with a StatusReason, as a crashed deployment would look. */
  adminFailEndpoint(id: string, reason: string): Endpoint {
    const record = this.findEndpoint(id);
    if (!record) throw notFound('Endpoint', id);
    this.assertEndpointStatus(record, ['Scheduling', 'Running', 'Stopped', 'Abnormal'], 'failEndpoint');
    this.setEndpointStatus(record, 'Abnormal', reason);
    this.persist();
    return copy(record.endpoint);
  }

  adminSnapshot(): { endpoints: Endpoint[]; customModels: CustomModel[]; modelUnits: ModelUnitView[]; apiKeys: number } {
    return {
      endpoints: copy(this.state.endpoints.map((r) => r.endpoint)),
      customModels: copy(this.state.customModels.map((r) => r.model)),
      modelUnits: this.adminListModelUnits(),
      apiKeys: this.state.apiKeys.length,
    };
  }

  adminReset(): void {
    this.state = emptyControlPlaneState();
    this.policy = this.initialPolicy;
    this.imports.clear();
    this.persist();
  }

  getPolicy(): TransitionPolicy {
    return this.policy;
  }

  setPolicy(policy: TransitionPolicy): void {
    this.policy = policy;
  }

  // ---------------------------------------------------------------------------------------------- internals

  /** GetX: advance the resource, counting this read; NotFound if absent or gone after advancing. */
  private async readEndpoint(id: string): Promise<EndpointRecord> {
    return this.advanceEndpoint(id, true);
  }

  /** Mutations: take the steps that are already due (as a real service would have), without counting a read. */
  private async touchEndpoint(id: string): Promise<EndpointRecord> {
    return this.advanceEndpoint(id, false);
  }

  private async advanceEndpoint(id: string, countRead: boolean): Promise<EndpointRecord> {
    const record = this.findEndpoint(id);
    if (!record) throw notFound('Endpoint', id);
    if (await this.advanceEndpointRecord(record, countRead)) this.persist();
    const after = this.findEndpoint(id);
    if (!after) throw notFound('Endpoint', id);
    return after;
  }

  private async readModel(id: string): Promise<CustomModelRecord> {
    return this.advanceModel(id, true);
  }

  private async touchModel(id: string): Promise<CustomModelRecord> {
    return this.advanceModel(id, false);
  }

  private async advanceModel(id: string, countRead: boolean): Promise<CustomModelRecord> {
    const record = this.findModel(id);
    if (!record) throw notFound('CustomModel', id);
    if (await this.advanceModelRecord(record, countRead)) this.persist();
    const after = this.findModel(id);
    if (!after) throw notFound('CustomModel', id);
    return after;
  }

  private async advanceAll(countRead: boolean): Promise<void> {
    let changed = false;
    for (const record of [...this.state.customModels]) changed = (await this.advanceModelRecord(record, countRead)) || changed;
    for (const record of [...this.state.endpoints]) changed = (await this.advanceEndpointRecord(record, countRead)) || changed;
    if (changed) this.persist();
  }

  private advanceEndpointRecord(record: EndpointRecord, countRead: boolean): Promise<boolean> {
    return advanceOnRead(this.policy, this.deps.clock(), countRead, {
      progress: () => record.progress,
      setProgress: (p: Progress) => (record.progress = p),
      isTransitional: () => TRANSITIONAL_ENDPOINT_STATUSES.includes(record.endpoint.Status) && this.state.endpoints.includes(record),
      step: async () => {
        if (record.endpoint.Status === 'Deleting') {
          this.state.endpoints = this.state.endpoints.filter((r) => r !== record);
          return false;
        }
        const unit = this.state.modelUnits.find((u) => u.Id === record.endpoint.ModelUnitId);
        if (unit?.FailWith) this.setEndpointStatus(record, 'Abnormal', unit.FailWith);
        else this.setEndpointStatus(record, 'Running');
        return true;
      },
    });
  }

  private advanceModelRecord(record: CustomModelRecord, countRead: boolean): Promise<boolean> {
    return advanceOnRead(this.policy, this.deps.clock(), countRead, {
      progress: () => record.progress,
      setProgress: (p: Progress) => (record.progress = p),
      isTransitional: () => TRANSITIONAL_MODEL_STATUSES.includes(record.model.Status) && this.state.customModels.includes(record),
      step: async () => {
        const m = record.model;
        if (m.Status === 'Deleting') {
          this.state.customModels = this.state.customModels.filter((r) => r !== record);
          return false;
        }
        if (m.Status === 'Preparing') {
          this.setModelStatus(record, 'Processing');
          return true;
        }
        const verdict = await this.runImport(m);
        // The model may have been deleted or reset while its files were being read.
        if (!this.state.customModels.includes(record) || m.Status !== 'Processing') return this.state.customModels.includes(record);
        if (verdict.ok) this.setModelStatus(record, 'Ready');
        else this.setModelStatus(record, 'Failed', verdict.reason);
        return true;
      },
    });
  }

  private runImport(model: CustomModel): Promise<ImportVerdict> {
    let run = this.imports.get(model.Id);
    if (!run) {
      run = this.deps
        .importModel(copy(model))
        .catch((err: unknown): ImportVerdict => ({ ok: false, reason: `reading the model files failed: ${(err as Error).message}` }))
        .finally(() => this.imports.delete(model.Id));
      this.imports.set(model.Id, run);
    }
    return run;
  }

  private setEndpointStatus(record: EndpointRecord, status: EndpointStatus, reason?: string): void {
    const now = this.deps.clock();
    record.endpoint.Status = status;
    if (reason) record.endpoint.StatusReason = reason;
    else delete record.endpoint.StatusReason;
    record.endpoint.UpdateTime = rfc3339(now);
    record.progress = freshProgress(now);
  }

  private setModelStatus(record: CustomModelRecord, status: CustomModelStatus, reason?: string): void {
    record.model.Status = status;
    if (reason) record.model.StatusReason = reason;
    else delete record.model.StatusReason;
    record.model.UpdateTime = rfc3339(this.deps.clock());
  }

  private assertEndpointStatus(record: EndpointRecord, allowed: readonly EndpointStatus[], operation: string): void {
    if (!allowed.includes(record.endpoint.Status)) {
      throw new ArkApiError(
        'OperationDenied.EndpointStatus',
        `The endpoint "${record.endpoint.Id}" is ${record.endpoint.Status}; ${operation} needs one of ${allowed.join(', ')}.`,
      );
    }
  }

  private assertFreeSlot(modelUnitId: string): void {
    const unit = this.state.modelUnits.find((u) => u.Id === modelUnitId);
    if (!unit) throw notFound('ModelUnit', modelUnitId);
    const view = modelUnitView(this.state, unit);
    if (view.UsedSlots >= unit.Slots) {
      throw new ArkApiError(
        'OperationDenied.ModelUnitInsufficient',
        `The ModelUnit "${modelUnitId}" has ${unit.Slots} slot(s), all used by ${view.EndpointIds.join(', ')}; expected a free slot.`,
      );
    }
  }

  private assertModelNameFree(name: string): void {
    const clash = this.state.customModels.find((m) => m.model.Name === name);
    if (clash) throw new ArkApiError('Duplicate.Name', `A CustomModel named "${name}" already exists (${clash.model.Id}); names are unique.`);
  }

  private findEndpoint(id: string): EndpointRecord | undefined {
    return this.state.endpoints.find((r) => r.endpoint.Id === id);
  }

  private findModel(id: string): CustomModelRecord | undefined {
    return this.state.customModels.find((r) => r.model.Id === id);
  }

  private persist(): void {
    this.deps.persistence.save(this.state);
  }
}

/**
 * A DryRun that passes every check answers like other Volcengine APIs do (e.g. ECS): error `DryRunOperation`,
 * HTTP 400 (inferred; the Ark docs do not say).
 */
export function dryRunPassed(): ArkApiError {
  return new ArkApiError('DryRunOperation', ArkErrors.DryRunOperation.message);
}

/** TOS locations name a directory: an ObjectKey that is not empty gets a trailing `/`. */
export function normalizeTosLocation(loc: { BucketName: string; ObjectKey: string }): { BucketName: string; ObjectKey: string } {
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(loc.BucketName)) {
    throw new ArkApiError('InvalidParameter.TosURLInvalid', `TosLocation.BucketName "${loc.BucketName}" is not a valid bucket name (3-63 of a-z, 0-9, "-", not starting or ending with "-").`);
  }
  if (loc.ObjectKey.startsWith('/') || loc.ObjectKey.split('/').includes('..')) {
    throw new ArkApiError('InvalidParameter.TosURLInvalid', `TosLocation.ObjectKey "${loc.ObjectKey}" must be a relative prefix without a leading "/" or "..".`);
  }
  const key = loc.ObjectKey === '' || loc.ObjectKey.endsWith('/') ? loc.ObjectKey : `${loc.ObjectKey}/`;
  return { BucketName: loc.BucketName, ObjectKey: key };
}

/** RFC 3339 without milliseconds, as the Ark docs show (`2024-01-01T00:00:00Z`). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function copy<T>(value: T): T {
  return structuredClone(value);
}
