import type { CustomModelWire as CustomModel, Endpoint } from '../../provider/api/ark';
import type { RollingInfo } from '../../provider/api/ark-rolling';
import type { ModelUnitView } from '../state/control-plane';
import type { TransitionPolicy } from '../state/transitions';
import { ApiKeys } from './api-keys';
import { CustomModels, type CustomModelsDeps } from './custom-models';
import { Endpoints } from './endpoints';
import { ModelUnits } from './model-units';
import { Rollings } from './rollings';
import { ControlPlaneStore, copy, type ControlPlaneStoreDeps } from './store';

/**
 * The behaviour of the Ark control plane: one module per resource (endpoints.ts, custom-models.ts,
 * model-units.ts, api-keys.ts, rollings.ts) over one shared store (store.ts). docs/api-assumptions.md "Ark control plane"
 * lists every inferred rule and points to those modules. Transport-free: the HTTP service validates requests
 * with the provider/api schemas and calls the resource modules; the admin routes call `modelUnits` and the
 * `admin*` methods. This class wires the modules together and holds what spans all of them: advancing every
 * resource for a List, reset, snapshot and the transition policy.
 */

export type ControlPlaneDeps = ControlPlaneStoreDeps & Omit<CustomModelsDeps, 'advanceAll'>;

export class ArkControlPlane {
  readonly modelUnits: ModelUnits;
  readonly customModels: CustomModels;
  readonly endpoints: Endpoints;
  readonly apiKeys: ApiKeys;
  readonly rollings: Rollings;
  private readonly store: ControlPlaneStore;

  constructor(deps: ControlPlaneDeps) {
    this.store = new ControlPlaneStore(deps);
    const advanceAll = (countRead: boolean) => this.advanceAll(countRead);
    this.modelUnits = new ModelUnits(this.store);
    this.customModels = new CustomModels(this.store, { ...deps, advanceAll });
    // Rollouts are created below; the closure only runs once requests arrive.
    const settleRollout = (rollingId: string) => this.rollings.settle(rollingId);
    this.endpoints = new Endpoints(this.store, { customModels: this.customModels, modelUnits: this.modelUnits, advanceAll, settleRollout });
    this.apiKeys = new ApiKeys(this.store, this.endpoints);
    this.rollings = new Rollings(this.store, { endpoints: this.endpoints, customModels: this.customModels });
  }

  adminSnapshot(): { endpoints: Endpoint[]; customModels: CustomModel[]; modelUnits: ModelUnitView[]; apiKeys: number; rollings: RollingInfo[] } {
    const state = this.store.state;
    return {
      endpoints: copy(state.endpoints.map((r) => r.endpoint)),
      customModels: copy(state.customModels.map((r) => r.model)),
      modelUnits: this.modelUnits.list(),
      apiKeys: state.apiKeys.length,
      rollings: copy(state.rollings.map((r) => r.rolling)),
    };
  }

  /** Admin: a model unit is reclaimed (unsubscribed, overdue, idle): it goes away and its endpoints go Abnormal. */
  adminReclaimModelUnit(id: string, why: string): { Id: string; EndpointIds: string[] } {
    this.modelUnits.remove(id);
    const endpointIds = this.endpoints.adminUnitReclaimed(id, why);
    this.store.persist();
    return { Id: id, EndpointIds: endpointIds };
  }

  adminReset(): void {
    this.customModels.forgetImports();
    this.store.reset();
  }

  getPolicy(): TransitionPolicy {
    return this.store.policy;
  }

  setPolicy(policy: TransitionPolicy): void {
    this.store.policy = policy;
  }

  /**
   * A List (of either kind) advances every resource of the control plane, models, endpoints, rollouts, then
   * persists once. Rollouts are not listed, so a List takes their due steps without counting a read of them:
   * only GetEndpointRolling moves an after-reads rollout on.
   */
  private async advanceAll(countRead: boolean): Promise<void> {
    const modelsChanged = await this.customModels.advanceEach(countRead);
    const endpointsChanged = await this.endpoints.advanceEach(countRead);
    const rollingsChanged = await this.rollings.advanceEach(false);
    if (modelsChanged || endpointsChanged || rollingsChanged) this.store.persist();
  }
}
