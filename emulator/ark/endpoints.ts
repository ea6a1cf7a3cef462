import { DEFAULT_PROJECT_NAME, type ArkRequest, type ArkResult, type Endpoint, type EndpointListItem, type EndpointStatus } from '../../provider/api/ark';
import type { EndpointRecord } from '../state/control-plane';
import { advanceOnRead, freshProgress, type Progress } from '../state/transitions';
import type { CustomModels } from './custom-models';
import { ArkApiError, dryRunPassed, invalidParameter, missingParameter, notFound } from './errors';
import { assertUniqueTagKeys, inSet, listPage, nameMatches } from './listing';
import type { ModelUnits } from './model-units';
import { assertStatusIn, stampStatus } from './status';
import { advanceEvery, advanceFound, copy, rfc3339, type ControlPlaneStore } from './store';

/** Endpoint states that move on by themselves when read. */
export const TRANSITIONAL_ENDPOINT_STATUSES: readonly EndpointStatus[] = ['Scheduling', 'Deleting'];
/** Endpoint states DeleteEndpoint accepts; anything else is `OperationDenied.EndpointStatus`. */
export const DELETABLE_ENDPOINT_STATUSES: readonly EndpointStatus[] = ['Stopped', 'Abnormal'];
/** Endpoint states StopEndpoint accepts. */
export const STOPPABLE_ENDPOINT_STATUSES: readonly EndpointStatus[] = ['Running', 'Scheduling', 'Abnormal'];
/** Endpoint states StartEndpoint accepts. */
export const STARTABLE_ENDPOINT_STATUSES: readonly EndpointStatus[] = ['Stopped', 'Abnormal'];
/** Every state but Deleting: UpdateEndpoint and the admin failEndpoint accept these. */
const LIVE_ENDPOINT_STATUSES: readonly EndpointStatus[] = ['Scheduling', 'Running', 'Stopped', 'Abnormal'];

/**
 * ListEndpoints items carry a `PaymentType` whose values no source documents (F11): these are ark-local's own,
 * one for an endpoint on a model unit and one for a pay-per-token endpoint. Clients only report it.
 */
export const ARK_LOCAL_PAYMENT_TYPES = { modelUnit: 'ModelUnit', token: 'Token' } as const;

export interface EndpointsDeps {
  customModels: CustomModels;
  modelUnits: ModelUnits;
  /** What a List does before filtering: advance every resource of the control plane, counting a read or not. */
  advanceAll(countRead: boolean): Promise<void>;
  /** Takes the steps already due of the endpoint's rollout (no read counted), so RollingId is never stale. */
  settleRollout(rollingId: string): Promise<void>;
}

/** Endpoints: the actions on them, the states each action accepts, and the Scheduling/Deleting state machine. */
export class Endpoints {
  constructor(
    private readonly store: ControlPlaneStore,
    private readonly deps: EndpointsDeps,
  ) {}

  create(req: ArkRequest<'CreateEndpoint'>): ArkResult<'CreateEndpoint'> {
    assertUniqueTagKeys(req.Tags);
    const ref = req.ModelReference;
    if ((ref.CustomModelId === undefined) === (ref.FoundationModel === undefined)) {
      throw invalidParameter('ModelReference', 'expected exactly one of CustomModelId or FoundationModel');
    }
    if (ref.CustomModelId !== undefined) {
      const model = this.deps.customModels.find(ref.CustomModelId);
      if (!model) throw notFound('CustomModel', ref.CustomModelId);
      if (model.model.Status !== 'Ready') {
        throw new ArkApiError('OperationDenied.InvalidState', `The CustomModel "${ref.CustomModelId}" is ${model.model.Status}; an endpoint needs a Ready model.`);
      }
      if (!req.ModelUnitId) throw missingParameter('ModelUnitId', 'for an endpoint on an uploaded custom model (it can only be served on a model unit)');
    }
    if (req.ModelUnitId) this.deps.modelUnits.assertFreeSlot(req.ModelUnitId);
    if (req.DryRun) throw dryRunPassed();

    const now = this.store.now();
    const endpoint: Endpoint = {
      Id: this.store.newId('ep', now),
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
      // Custom models on a unit roll only where the unit or the server says so (F16; emulator/ark/rollings.ts).
      SupportRolling: ref.CustomModelId !== undefined && (this.deps.modelUnits.find(req.ModelUnitId)?.SupportRolling ?? this.store.compat.rolling),
      // No TPM guarantee package (ScaleTierId) on model-unit endpoints (reference §2.8: base models only).
      SupportScaleTier: false,
      BatchOnly: false,
    };
    this.store.state.endpoints.push({ endpoint, progress: freshProgress(now) });
    this.store.persist();
    return { Id: endpoint.Id };
  }

  async get(req: ArkRequest<'GetEndpoint'>): Promise<ArkResult<'GetEndpoint'>> {
    const record = await this.advance(req.Id, true);
    if (record.endpoint.RollingId) await this.deps.settleRollout(record.endpoint.RollingId);
    return copy(record.endpoint);
  }

  async list(req: ArkRequest<'ListEndpoints'>): Promise<ArkResult<'ListEndpoints'>> {
    await this.deps.advanceAll(true);
    const f = req.Filter ?? {};
    const items = this.store.state.endpoints
      .map((r) => listItem(r.endpoint))
      .filter(
        (e) =>
          inSet(e.Id, f.Ids) &&
          nameMatches(e.Name, f.Name) &&
          inSet(e.Status, f.Statuses) &&
          inSet(e.EndpointModelType, f.EndpointModelTypes) &&
          inSet(e.ModelReference.CustomModelId, f.CustomModelIds) &&
          (f.FoundationModelName === undefined || e.ModelReference.FoundationModel?.Name === f.FoundationModelName) &&
          inSet(e.ModelReference.FoundationModel?.ModelVersion, f.ModelVersions) &&
          (f.PaymentType === undefined || e.PaymentType === f.PaymentType) &&
          (f.ModelOrServiceName === undefined || nameMatches(this.modelName(e), f.ModelOrServiceName)) &&
          // ark-local's endpoints have no Domain and no ServiceInfo: a filter on either matches none of them.
          f.Domain === undefined &&
          inSet(undefined, f.ServiceInfoIds) &&
          (req.ProjectName === undefined || e.ProjectName === req.ProjectName),
      );
    return copy(listPage(items, req));
  }

  async update(req: ArkRequest<'UpdateEndpoint'>): Promise<ArkResult<'UpdateEndpoint'>> {
    const record = await this.advance(req.Id, false);
    this.assertStatus(record, LIVE_ENDPOINT_STATUSES, 'UpdateEndpoint');
    assertUniqueTagKeys(req.Tags);
    if (req.DryRun) throw dryRunPassed();
    const e = record.endpoint;
    if (req.Name !== undefined) e.Name = req.Name;
    if (req.Description !== undefined) e.Description = req.Description;
    if (req.RateLimit !== undefined) e.RateLimit = req.RateLimit;
    if (req.Moderation !== undefined) e.Moderation = req.Moderation;
    if (req.Tags !== undefined) e.Tags = req.Tags;
    e.UpdateTime = rfc3339(this.store.now());
    this.store.persist();
    return {};
  }

  async start(req: ArkRequest<'StartEndpoint'>): Promise<ArkResult<'StartEndpoint'>> {
    const record = await this.advance(req.Id, false);
    // An endpoint whose unit was reclaimed cannot serve again: a new endpoint on another unit is the way back.
    if (record.endpoint.ModelUnitId) this.deps.modelUnits.get(record.endpoint.ModelUnitId);
    await this.moveTo(req.Id, STARTABLE_ENDPOINT_STATUSES, 'StartEndpoint', 'Scheduling');
    return {};
  }

  async stop(req: ArkRequest<'StopEndpoint'>): Promise<ArkResult<'StopEndpoint'>> {
    await this.moveTo(req.Id, STOPPABLE_ENDPOINT_STATUSES, 'StopEndpoint', 'Stopped');
    return {};
  }

  async delete(req: ArkRequest<'DeleteEndpoint'>): Promise<ArkResult<'DeleteEndpoint'>> {
    await this.moveTo(req.Id, DELETABLE_ENDPOINT_STATUSES, 'DeleteEndpoint', 'Deleting');
    return {};
  }

  /** What `Filter.ModelOrServiceName` matches [I]: the name of the endpoint's custom model or foundation model. */
  private modelName(e: Endpoint): string {
    const ref = e.ModelReference;
    return ref.CustomModelId !== undefined ? (this.deps.customModels.find(ref.CustomModelId)?.model.Name ?? '') : (ref.FoundationModel?.Name ?? '');
  }

  /** The endpoint as the Chat API sees it (no read is counted: serving traffic does not advance state). */
  peek(id: string): Endpoint | undefined {
    const record = this.find(id);
    return record && copy(record.endpoint);
  }

  /** The endpoint after the steps already due (no read counted), for actions of other modules (rollouts). */
  settle(id: string): Promise<EndpointRecord> {
    return this.advance(id, false);
  }

  find(id: string): EndpointRecord | undefined {
    return this.store.state.endpoints.find((r) => r.endpoint.Id === id);
  }

  /** Admin: forces an endpoint Abnormal with a StatusReason, as a crashed deployment would look. */
  adminFail(id: string, reason: string): Endpoint {
    const record = this.find(id);
    if (!record) throw notFound('Endpoint', id);
    this.assertStatus(record, LIVE_ENDPOINT_STATUSES, 'failEndpoint');
    this.setStatus(record, 'Abnormal', reason);
    this.store.persist();
    return copy(record.endpoint);
  }

  /**
   * Admin: the endpoints on a model unit that was just reclaimed go Abnormal and stay so (Start is refused): Ark's
   * docs say a reclaimed unit needs a new endpoint (ark-api-2026.md F2). Deleting them works as for any Abnormal one.
   */
  adminUnitReclaimed(modelUnitId: string, why: string): string[] {
    const hit = this.store.state.endpoints.filter((r) => r.endpoint.ModelUnitId === modelUnitId && r.endpoint.Status !== 'Deleting');
    for (const record of hit) this.setStatus(record, 'Abnormal', unitGoneReason(modelUnitId, why));
    return hit.map((r) => r.endpoint.Id);
  }

  /** Advances every endpoint without persisting; returns whether anything changed. */
  async advanceEach(countRead: boolean): Promise<boolean> {
    return advanceEvery(this.store.state.endpoints, (record) => this.advanceRecord(record, countRead));
  }

  /** Start, Stop and Delete: refused unless the endpoint is in one of `allowed`, then it enters `status`. */
  private async moveTo(id: string, allowed: readonly EndpointStatus[], operation: string, status: EndpointStatus): Promise<void> {
    const record = await this.advance(id, false);
    this.assertStatus(record, allowed, operation);
    this.setStatus(record, status);
    this.store.persist();
  }

  /**
   * Get counts a read (countRead); mutations take the steps that are already due, as a real service would have,
   * without counting one. NotFound if absent or gone after advancing.
   */
  private advance(id: string, countRead: boolean): Promise<EndpointRecord> {
    return advanceFound(
      this.store,
      () => this.find(id),
      (record) => this.advanceRecord(record, countRead),
      () => notFound('Endpoint', id),
    );
  }

  private advanceRecord(record: EndpointRecord, countRead: boolean): Promise<boolean> {
    return advanceOnRead(this.store.policy, this.store.now(), countRead, {
      progress: () => record.progress,
      setProgress: (p: Progress) => (record.progress = p),
      isTransitional: () => TRANSITIONAL_ENDPOINT_STATUSES.includes(record.endpoint.Status) && this.store.state.endpoints.includes(record),
      step: async () => {
        if (record.endpoint.Status === 'Deleting') {
          this.store.state.endpoints = this.store.state.endpoints.filter((r) => r !== record);
          return false;
        }
        const unitId = record.endpoint.ModelUnitId;
        const unit = this.deps.modelUnits.find(unitId);
        if (unitId && !unit) this.setStatus(record, 'Abnormal', unitGoneReason(unitId, 'it no longer exists'));
        else if (unit?.FailWith) this.setStatus(record, 'Abnormal', unit.FailWith);
        else this.setStatus(record, 'Running');
        return true;
      },
    });
  }

  private setStatus(record: EndpointRecord, status: EndpointStatus, reason?: string): void {
    const now = this.store.now();
    stampStatus(record.endpoint, status, now, reason);
    record.progress = freshProgress(now);
  }

  private assertStatus(record: EndpointRecord, allowed: readonly EndpointStatus[], operation: string): void {
    assertStatusIn(record.endpoint, allowed, operation, { code: 'EndpointStatus', noun: 'endpoint' });
  }
}

/** StatusReason of an endpoint whose model unit went away [I: Ark's wording is not public]. */
function unitGoneReason(modelUnitId: string, why: string): string {
  return `ModelUnitReclaimed: the model unit ${modelUnitId} was reclaimed (${why}); this endpoint cannot serve again, create a new one on another unit.`;
}

/** A ListEndpoints item: what both official SDKs list for one (no Moderation, BatchOnly, scale tier) + PaymentType. */
function listItem(endpoint: Endpoint): EndpointListItem {
  const { Moderation: _m, BatchOnly: _b, ScaleTierId: _s, SupportScaleTier: _t, ...item } = copy(endpoint);
  return { ...item, PaymentType: endpoint.ModelUnitId ? ARK_LOCAL_PAYMENT_TYPES.modelUnit : ARK_LOCAL_PAYMENT_TYPES.token };
}
