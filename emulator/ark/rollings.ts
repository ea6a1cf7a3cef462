import type { ArkRequest, ArkResult, Endpoint } from '../../provider/api/ark';
import { DEFAULT_ROLLING_STEP, DEFAULT_ROLLING_WAIT_MINUTES, FULL_GRAY, type RollingInfo, type RollingModel, type RollingStatus } from '../../provider/api/ark-rolling';
import type { ControlPlaneState, RollingFailureRecord, RollingRecord } from '../state/control-plane';
import { freshProgress, isDue, progressAfterStep, type TransitionPolicy } from '../state/transitions';
import type { CustomModels } from './custom-models';
import type { Endpoints } from './endpoints';
import { ArkApiError, dryRunPassed, invalidParameter, notFound } from './errors';
import { advanceEvery, advanceFound, copy, rfc3339, type ControlPlaneStore } from './store';
import { assertStatusIn, stampStatus } from './status';

export interface RollingsDeps {
  endpoints: Endpoints;
  customModels: CustomModels;
}

/** The custom model id of a rollout's model (ark-local rolls custom models only). */
export function customModelOf(model: RollingModel): string | undefined {
  return 'CustomModelId' in model ? model.CustomModelId : undefined;
}

/**
 * Whether the rollout still holds its endpoint (the endpoint's RollingId names it): it is moving traffic, failed
 * or stepping back, and needs both its models. A rollout that reached 100% or Reverted, or whose endpoint was
 * deleted, holds nothing.
 */
export function holdsEndpoint(state: ControlPlaneState, rolling: RollingInfo): boolean {
  return state.endpoints.some((e) => e.endpoint.Id === rolling.EndpointId && e.endpoint.RollingId === rolling.Id);
}

/**
 * Rolling model switches of endpoints (wire contract: provider/api/ark-rolling.ts), paced as the live record shows
 * (ark-api-2026.md F15): `RollingGray` grows by `Step` points per step until 100, one step per `WaitDuration`
 * minutes, where one minute is one step of the transition policy (`stepPolicy`). The endpoint stays Running and
 * serves both models in proportion (`servedModel`). At 100% the endpoint's ModelReference becomes the new model
 * and the rollout lets the endpoint go; its Status stays `Running` (no other status was recorded at 100%, and the
 * record's Cancel after 100% was accepted as on a running rollout: it showed `Reverted`/0% and left the endpoint
 * on the new model, as `cancel` does here). Rollback steps back one Step at once (`Reverting`), then one per step
 * to 0% (`Reverted`); Cancel goes to `Reverted`/0% at once. An admin-armed failure turns the rollout `Failed`
 * once it reaches a percent. Only endpoints created with `SupportRolling` (Endpoints.create) can roll.
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
    const from = endpoint.ModelReference.CustomModelId;
    if (!endpoint.SupportRolling || !from) {
      throw new ArkApiError(
        'OperationDenied.RollingNotSupported',
        `The endpoint "${endpoint.Id}" does not support a rolling model switch (SupportRolling is false): Ark does not switch ` +
          'versions of fine-tuned or uploaded models on model units. ark-local rolls them only on a model unit created with ' +
          'SupportRolling, or when started with --rolling.',
      );
    }
    if (endpoint.RollingId) {
      throw new ArkApiError('OperationDenied.RollingInProgress', `The endpoint "${endpoint.Id}" already has rollout ${endpoint.RollingId} in progress; wait for it, roll it back or cancel it.`);
    }
    if (endpoint.Status !== 'Running') {
      throw new ArkApiError('OperationDenied.EndpointStatus', `The endpoint "${endpoint.Id}" is ${endpoint.Status}; CreateEndpointRolling needs Running.`);
    }
    if (!('CustomModelId' in req.ModelReference)) {
      throw invalidParameter('ModelReference', 'the endpoint serves a custom model; a rollout switches it to another one ({CustomModelId})');
    }
    const to = req.ModelReference.CustomModelId;
    if (to === from) throw invalidParameter('ModelReference.CustomModelId', `the endpoint already serves ${to}`);
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
      RollingIn: { CustomModelId: to },
      RollingOut: { CustomModelId: from },
      RollingGray: 0,
      RollingStrategy: req.RollingStrategy ?? { Step: DEFAULT_ROLLING_STEP, WaitDuration: DEFAULT_ROLLING_WAIT_MINUTES },
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

  /** One step back at once (`Reverting`), then on by itself to 0% (`Reverted`). */
  async rollback(req: ArkRequest<'RollbackEndpointRolling'>): Promise<ArkResult<'RollbackEndpointRolling'>> {
    const record = await this.advance(req.Id, false);
    this.assertStatus(record, ['Running', 'Failed'], 'RollbackEndpointRolling');
    this.assertHolding(record, 'RollbackEndpointRolling');
    this.setStatus(record, 'Reverting', record.rolling.StatusReason);
    this.stepBack(record);
    this.store.persist();
    return { Id: record.rolling.Id };
  }

  /**
   * All traffic back on the old model at once: `Reverted`, 0%. A rollout that already reached 100% is reported
   * the same way and its endpoint keeps the new model (as the record shows).
   */
  async cancel(req: ArkRequest<'CancelEndpointRolling'>): Promise<ArkResult<'CancelEndpointRolling'>> {
    const record = await this.advance(req.Id, false);
    this.assertStatus(record, ['Running', 'Failed', 'Reverting'], 'CancelEndpointRolling');
    record.rolling.RollingGray = 0;
    this.setStatus(record, 'Reverted', record.rolling.StatusReason);
    this.release(record);
    this.store.persist();
    return { Id: record.rolling.Id };
  }

  /** Takes the steps already due (no read counted), for the endpoint's view of its rollout. */
  async settle(id: string): Promise<void> {
    const record = this.find(id);
    if (record && this.advanceRecord(record, false)) this.store.persist();
  }

  /** Admin: the next rollout started (on `endpointId`, or on any endpoint) fails once it reaches `atPercent`. */
  adminArmFailure(failure: RollingFailureRecord): RollingFailureRecord {
    this.store.state.rollingFailures.push(failure);
    this.store.persist();
    return copy(failure);
  }

  /**
   * The custom model that serves the next chat request to `endpoint`: while a rollout holds it the new model takes
   * `RollingGray` percent of the requests, spread evenly (request n goes to the new model when ⌊(n+1)·p/100⌋ moves).
   */
  servedModel(endpoint: Endpoint): string | undefined {
    const current = endpoint.ModelReference.CustomModelId;
    const record = endpoint.RollingId ? this.find(endpoint.RollingId) : undefined;
    if (!record) return current;
    const r = record.rolling;
    const n = this.served.get(r.Id) ?? 0;
    this.served.set(r.Id, n + 1);
    const p = r.RollingGray;
    return Math.floor(((n + 1) * p) / 100) > Math.floor((n * p) / 100) ? customModelOf(r.RollingIn) : customModelOf(r.RollingOut);
  }

  find(id: string): RollingRecord | undefined {
    return this.store.state.rollings.find((r) => r.rolling.Id === id);
  }

  /** Advances every rollout without persisting; returns whether anything changed. */
  async advanceEach(countRead: boolean): Promise<boolean> {
    return advanceEvery(this.store.state.rollings, async (record) => this.advanceRecord(record, countRead));
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
      async (record) => this.advanceRecord(record, countRead),
      () => notFound('EndpointRolling', id),
    );
  }

  /** Moving on by itself: traffic moving forward while it holds the endpoint, or stepping back. */
  private isTransitional(record: RollingRecord): boolean {
    const status = record.rolling.Status;
    return status === 'Reverting' || (status === 'Running' && holdsEndpoint(this.store.state, record.rolling));
  }

  /**
   * Takes every step that is due, then counts the read (when `countRead`) against the state it ends in: the rules
   * of `advanceOnRead` (emulator/state/transitions.ts), with the rollout's own policy and a bound that fits a walk
   * of up to 100 steps. Returns whether anything changed.
   */
  private advanceRecord(record: RollingRecord, countRead: boolean): boolean {
    const policy = stepPolicy(this.store.policy, record.rolling.RollingStrategy.WaitDuration);
    const now = this.store.now();
    let changed = false;
    for (let i = 0; i <= FULL_GRAY && this.isTransitional(record); i++) {
      const before = record.progress;
      if (!isDue(before, policy, now)) {
        if (!countRead) return changed;
        record.progress = { ...before, reads: before.reads + 1 };
        return true;
      }
      if (record.rolling.Status === 'Running') this.stepForward(record);
      else this.stepBack(record);
      record.progress = progressAfterStep(before, policy, now);
      changed = true;
    }
    return changed;
  }

  /**
   * Step points more traffic on the new model. Status changes go through stampStatus like every other resource's;
   * the caller dates the progress of the state entered.
   */
  private stepForward(record: RollingRecord): void {
    const r = record.rolling;
    const now = this.store.now();
    r.RollingGray = Math.min(FULL_GRAY, r.RollingGray + r.RollingStrategy.Step);
    if (record.failAtPercent !== undefined && r.RollingGray >= record.failAtPercent) {
      stampStatus(r, 'Failed', now, record.failReason ?? `the new model's replicas did not become healthy at ${r.RollingGray}%`);
      return;
    }
    stampStatus(r, 'Running', now);
    if (r.RollingGray < FULL_GRAY) return;
    const endpoint = this.deps.endpoints.find(r.EndpointId)?.endpoint;
    const target = customModelOf(r.RollingIn);
    if (endpoint && target) endpoint.ModelReference = { CustomModelId: target };
    this.release(record);
  }

  /** Step points back to the old model; at 0% the rollout is Reverted and lets the endpoint go. */
  private stepBack(record: RollingRecord): void {
    const r = record.rolling;
    r.RollingGray = Math.max(0, r.RollingGray - r.RollingStrategy.Step);
    // Reverting and Reverted keep the reason a failed rollout was walked back for.
    stampStatus(r, r.RollingGray === 0 ? 'Reverted' : 'Reverting', this.store.now(), r.StatusReason);
    if (r.RollingGray === 0) this.release(record);
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

  /** Rollback walks traffic back from a rollout in progress; one that reached 100% has nothing to walk back. */
  private assertHolding(record: RollingRecord, operation: string): void {
    if (holdsEndpoint(this.store.state, record.rolling)) return;
    throw new ArkApiError(
      'OperationDenied.RollingStatus',
      `The rollout "${record.rolling.Id}" is ${record.rolling.Status} at ${record.rolling.RollingGray}% and no longer holds endpoint ${record.rolling.EndpointId}; ${operation} needs a rollout in progress.`,
    );
  }
}

/**
 * The transition policy of one rollout step: `WaitDuration` minutes, each standing for one step of ark-local's
 * policy (`after-seconds:S` = S seconds a minute, `after-reads:N` = N reads a minute; `immediate` stays
 * immediate). So the server defaults (+2 points a minute) take 50 policy steps from 0 to 100%.
 */
function stepPolicy(policy: TransitionPolicy, minutes: number): TransitionPolicy {
  switch (policy.mode) {
    case 'immediate':
      return policy;
    case 'after-reads':
      return { mode: 'after-reads', reads: policy.reads * minutes };
    case 'after-seconds':
      return { mode: 'after-seconds', seconds: policy.seconds * minutes };
  }
}
