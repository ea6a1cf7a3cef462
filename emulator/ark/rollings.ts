import type { ArkRequest, ArkResult, Endpoint } from '../../provider/api/ark';
import { ACTIVE_ROLLING_STATUSES, DEFAULT_ROLLING_STEP, DEFAULT_ROLLING_WAIT_MINUTES, type RollingInfo, type RollingStatus } from '../../provider/api/ark-rolling';
import type { RollingFailureRecord, RollingRecord } from '../state/control-plane';
import { advanceOnRead, freshProgress, type Progress } from '../state/transitions';
import type { CustomModels } from './custom-models';
import type { Endpoints } from './endpoints';
import { ArkApiError, dryRunPassed, invalidParameter, notFound } from './errors';
import { advanceEvery, advanceFound, copy, rfc3339, type ControlPlaneStore } from './store';
import { assertStatusIn, stampStatus } from './status';

/** Rollout states that move on by themselves when read (one batch per step of the transition policy). */
const TRANSITIONAL_ROLLING_STATUSES: readonly RollingStatus[] = ['Running', 'Reverting'];

export interface RollingsDeps {
  endpoints: Endpoints;
  customModels: CustomModels;
}

/**
 * Rolling model switches of endpoints (wire contract: provider/api/ark-rolling.ts). A rollout moves traffic to
 * the new model in `Step` batches, one batch per transition step (the same lazy policy as every other state),
 * while the endpoint stays Running and serves both models in proportion (`servedModel`). When the last batch
 * lands the endpoint's ModelReference becomes the new model. An admin-armed failure turns the rollout Failed
 * once it reaches a percent; Rollback walks the batches back to 0% (Reverted), Cancel returns at once.
 */
export class Rollings {
  /** Requests served per rollout, for a deterministic traffic split; not persisted (only the ratio matters). */
  private readonly served = new Map<string, number>();

  constructor(
    private readonly store: ControlPlaneStore,
    private readonly deps: RollingsDeps,
  ) {}

  async create(req: ArkRequest<'CreateEndpointRolling'>): Promise<ArkResult<'CreateEndpointRolling'>> {
    const record = await this.deps.endpoints.settle(req.EndpointId);
    const endpoint = record.endpoint;
    if (!endpoint.SupportRolling || !endpoint.ModelReference.CustomModelId) {
      throw new ArkApiError('OperationDenied.RollingNotSupported', `The endpoint "${endpoint.Id}" does not support a rolling model switch (SupportRolling is false).`);
    }
    if (endpoint.RollingId) {
      throw new ArkApiError('OperationDenied.RollingInProgress', `The endpoint "${endpoint.Id}" already has rollout ${endpoint.RollingId} in progress; wait for it, roll it back or cancel it.`);
    }
    if (endpoint.Status !== 'Running') {
      throw new ArkApiError('OperationDenied.EndpointStatus', `The endpoint "${endpoint.Id}" is ${endpoint.Status}; CreateEndpointRolling needs Running.`);
    }
    const to = req.ModelReference.CustomModelId;
    if (to === endpoint.ModelReference.CustomModelId) throw invalidParameter('ModelReference.CustomModelId', `the endpoint already serves ${to}`);
    const model = this.deps.customModels.find(to);
    if (!model) throw notFound('CustomModel', to);
    if (model.model.Status !== 'Ready') {
      throw new ArkApiError('OperationDenied.InvalidState', `The CustomModel "${to}" is ${model.model.Status}; a rollout needs a Ready model.`);
    }
    if (req.DryRun) throw dryRunPassed();

    const now = this.store.now();
    const rolling: RollingInfo = {
      Id: this.store.newId('eprol', now),
      EndpointId: endpoint.Id,
      Status: 'Running',
      Progress: 0,
      CurrentStep: 0,
      Step: req.Step ?? DEFAULT_ROLLING_STEP,
      WaitDuration: req.WaitDuration ?? DEFAULT_ROLLING_WAIT_MINUTES,
      FromModelReference: { CustomModelId: endpoint.ModelReference.CustomModelId },
      ToModelReference: { CustomModelId: to },
      ...(req.Description ? { Description: req.Description } : {}),
      CreateTime: rfc3339(now),
      UpdateTime: rfc3339(now),
    };
    const failure = this.takeArmedFailure(endpoint.Id);
    this.store.state.rollings.push({
      rolling,
      progress: freshProgress(now),
      ...(failure ? { failAtPercent: failure.atPercent, failReason: failure.reason } : {}),
    });
    endpoint.RollingId = rolling.Id;
    endpoint.UpdateTime = rfc3339(now);
    this.store.persist();
    return { Id: rolling.Id };
  }

  async get(req: ArkRequest<'GetEndpointRolling'>): Promise<ArkResult<'GetEndpointRolling'>> {
    const record = await this.advance(req.Id, true);
    return { RollingInfo: copy(record.rolling) };
  }

  async rollback(req: ArkRequest<'RollbackEndpointRolling'>): Promise<ArkResult<'RollbackEndpointRolling'>> {
    const record = await this.advance(req.Id, false);
    this.assertStatus(record, ['Running', 'Failed'], 'RollbackEndpointRolling');
    this.setStatus(record, 'Reverting', record.rolling.StatusReason);
    // No batch moved yet: nothing to walk back.
    if (record.rolling.CurrentStep === 0) this.step(record);
    this.store.persist();
    return {};
  }

  async cancel(req: ArkRequest<'CancelEndpointRolling'>): Promise<ArkResult<'CancelEndpointRolling'>> {
    const record = await this.advance(req.Id, false);
    this.assertStatus(record, ['Running'], 'CancelEndpointRolling');
    record.rolling.Progress = 0;
    this.setStatus(record, 'Cancelled', 'Cancelled by CancelEndpointRolling; all traffic is back on the previous model.');
    this.release(record);
    this.store.persist();
    return {};
  }

  /** Takes the steps already due (no read counted), for the endpoint's view of its rollout. */
  async settle(id: string): Promise<void> {
    const record = this.find(id);
    if (record && (await this.advanceRecord(record, false))) this.store.persist();
  }

  /** Admin: the next rollout started (on `endpointId`, or on any endpoint) fails once it reaches `atPercent`. */
  adminArmFailure(failure: RollingFailureRecord): RollingFailureRecord {
    this.store.state.rollingFailures.push(failure);
    this.store.persist();
    return copy(failure);
  }

  /**
   * The custom model that serves the next chat request to `endpoint`: during a rollout the new model takes
   * `Progress` percent of the requests, spread evenly (request n goes to the new model when ⌊(n+1)·p/100⌋ moves).
   */
  servedModel(endpoint: Endpoint): string | undefined {
    const current = endpoint.ModelReference.CustomModelId;
    const record = endpoint.RollingId ? this.find(endpoint.RollingId) : undefined;
    if (!record || !ACTIVE_ROLLING_STATUSES.includes(record.rolling.Status)) return current;
    const n = this.served.get(record.rolling.Id) ?? 0;
    this.served.set(record.rolling.Id, n + 1);
    const p = record.rolling.Progress;
    return Math.floor(((n + 1) * p) / 100) > Math.floor((n * p) / 100) ? record.rolling.ToModelReference.CustomModelId : record.rolling.FromModelReference.CustomModelId;
  }

  find(id: string): RollingRecord | undefined {
    return this.store.state.rollings.find((r) => r.rolling.Id === id);
  }

  /** Advances every rollout without persisting; returns whether anything changed. */
  async advanceEach(countRead: boolean): Promise<boolean> {
    return advanceEvery(this.store.state.rollings, (record) => this.advanceRecord(record, countRead));
  }

  private takeArmedFailure(endpointId: string): RollingFailureRecord | undefined {
    const failures = this.store.state.rollingFailures;
    const index = failures.findIndex((f) => f.endpointId === undefined || f.endpointId === endpointId);
    return index < 0 ? undefined : failures.splice(index, 1)[0];
  }

  private advance(id: string, countRead: boolean): Promise<RollingRecord> {
    return advanceFound(
      this.store,
      () => this.find(id),
      (record) => this.advanceRecord(record, countRead),
      () => notFound('EndpointRolling', id),
    );
  }

  private advanceRecord(record: RollingRecord, countRead: boolean): Promise<boolean> {
    return advanceOnRead(this.store.policy, this.store.now(), countRead, {
      progress: () => record.progress,
      setProgress: (p: Progress) => (record.progress = p),
      isTransitional: () => TRANSITIONAL_ROLLING_STATUSES.includes(record.rolling.Status),
      step: async () => {
        this.step(record);
        return true;
      },
    });
  }

  /**
   * One batch forward (Running) or back (Reverting). Status changes go through stampStatus like every other
   * resource's; the caller (advanceOnRead, or rollback) dates the progress of the state entered.
   */
  private step(record: RollingRecord): void {
    const r = record.rolling;
    const now = this.store.now();
    if (r.Status === 'Running') {
      r.CurrentStep += 1;
      r.Progress = percentAt(r.CurrentStep, r.Step);
      if (record.failAtPercent !== undefined && r.Progress >= record.failAtPercent) {
        stampStatus(r, 'Failed', now, record.failReason ?? `batch ${r.CurrentStep} of ${r.Step} did not become healthy`);
      } else if (r.CurrentStep >= r.Step) {
        stampStatus(r, 'Completed', now);
        const endpoint = this.deps.endpoints.find(r.EndpointId)?.endpoint;
        if (endpoint) endpoint.ModelReference = { CustomModelId: r.ToModelReference.CustomModelId };
        this.release(record);
      } else {
        stampStatus(r, 'Running', now);
      }
      return;
    }
    r.CurrentStep = Math.max(0, r.CurrentStep - 1);
    r.Progress = percentAt(r.CurrentStep, r.Step);
    // A rollback walks back a failure: Reverting and Reverted keep the reason the rollout failed with.
    if (r.CurrentStep === 0) {
      stampStatus(r, 'Reverted', now, r.StatusReason);
      this.release(record);
    } else {
      stampStatus(r, 'Reverting', now, r.StatusReason);
    }
  }

  /** The rollout no longer holds its endpoint. */
  private release(record: RollingRecord): void {
    this.served.delete(record.rolling.Id);
    const endpoint = this.deps.endpoints.find(record.rolling.EndpointId)?.endpoint;
    if (endpoint?.RollingId === record.rolling.Id) {
      delete endpoint.RollingId;
      endpoint.UpdateTime = rfc3339(this.store.now());
    }
  }

  private setStatus(record: RollingRecord, status: RollingStatus, reason?: string): void {
    const now = this.store.now();
    stampStatus(record.rolling, status, now, reason);
    record.progress = freshProgress(now);
  }

  private assertStatus(record: RollingRecord, allowed: readonly RollingStatus[], operation: string): void {
    assertStatusIn(record.rolling, allowed, operation, { code: 'RollingStatus', noun: 'rollout' });
  }
}

function percentAt(step: number, steps: number): number {
  return Math.round((100 * step) / steps);
}
