import type { CustomModelWire as CustomModel, Endpoint } from '../../provider/api/ark';
import type { RollingInfo } from '../../provider/api/ark-rolling';
import type { Progress } from './transitions';

/**
 * Everything the Ark control plane remembers. Resources are kept in their wire shape (what GetX returns) plus
 * the bookkeeping the emulator needs; the whole object is what `--data DIR` persists as control-plane.json.
 */
export interface EndpointRecord {
  endpoint: Endpoint;
  progress: Progress;
}

export interface CustomModelRecord {
  model: CustomModel;
  progress: Progress;
}

/**
 * A model unit (模型单元): dedicated compute bought in the console. Ark has no public API for it, so ark-local
 * creates them through admin routes. Each hosts up to `Slots` endpoints.
 */
export interface ModelUnitRecord {
  Id: string;
  Name: string;
  Slots: number;
  /** When set, endpoints scheduled on this unit end Abnormal with this StatusReason (e.g. ImagePullBackOff). */
  FailWith?: string;
  /**
   * Whether custom-model endpoints on this unit can roll to another model (`SupportRolling`); absent = the
   * server's `compat.rolling` (false by default: Ark does not switch uploaded models on model units, F16).
   */
  SupportRolling?: boolean;
  CreateTime: string;
}

/** A rolling model switch of an endpoint (emulator/ark/rollings.ts). */
export interface RollingRecord {
  rolling: RollingInfo;
  progress: Progress;
  /** Injected failure: the rollout turns Failed once its RollingGray reaches this percent. */
  failAtPercent?: number;
  failReason?: string;
}

/** Admin-armed failure for the next rollout started (on `endpointId`, or on any endpoint when absent). */
export interface RollingFailureRecord {
  endpointId?: string;
  atPercent: number;
  reason: string;
}

/** A temporary data-plane key issued by GetApiKey. */
export interface ApiKeyRecord {
  key: string;
  resourceType: string;
  resourceIds: string[];
  /** Unix seconds, as GetApiKey's ExpiredTime. */
  expiredTime: number;
}

export interface ControlPlaneState {
  version: 1;
  endpoints: EndpointRecord[];
  customModels: CustomModelRecord[];
  modelUnits: ModelUnitRecord[];
  apiKeys: ApiKeyRecord[];
  rollings: RollingRecord[];
  rollingFailures: RollingFailureRecord[];
}

export function emptyControlPlaneState(): ControlPlaneState {
  return { version: 1, endpoints: [], customModels: [], modelUnits: [], apiKeys: [], rollings: [], rollingFailures: [] };
}

/** Model unit plus how it is used, as the admin routes show it. */
export interface ModelUnitView extends ModelUnitRecord {
  UsedSlots: number;
  EndpointIds: string[];
}

export function modelUnitView(state: ControlPlaneState, unit: ModelUnitRecord): ModelUnitView {
  const endpointIds = state.endpoints.filter((e) => e.endpoint.ModelUnitId === unit.Id).map((e) => e.endpoint.Id);
  return { ...unit, UsedSlots: endpointIds.length, EndpointIds: endpointIds };
}
