import { z } from 'zod';
import { READ_NEEDS } from './read-needs';
import { openEnum, readObject } from './reader';

/**
 * Wire contract of the rolling model switch of an endpoint (`CreateEndpointRolling`, `GetEndpointRolling`,
 * `RollbackEndpointRolling`, `CancelEndpointRolling`, version 2024-01-01; official DocumentIDs 2582730–2582733).
 * The shapes are those of live calls made by a third party in September 2026 (../shared/reference/ark-api-2026.md
 * F14, F15): the create request `{EndpointId, ModelReference, Description, DryRun}` answered by `{Id}`,
 * `RollingInfo{Id, EndpointId, Status, RollingIn, RollingOut, RollingGray, RollingStrategy{Step, WaitDuration},
 * CreateTime, UpdateTime}`, Rollback and Cancel answered by `{Id}`. What the record does not show is decided here
 * and listed in docs/api-assumptions.md "Rolling model switch" as [I].
 *
 * Tolerant reader: the reader also understands the names this project used before the record was found
 * (`Progress`, `FromModelReference`, `ToModelReference`, status `Completed`), so a service answering either way
 * works; `rollingView` reads both. Strict writer: ark-local writes the 2026 shapes only.
 *
 * No import from ark.ts on purpose (ark.ts registers these actions in its table); the readers are built from
 * READ_NEEDS with reader.ts, as ark.ts's are.
 */

/** `eprol-YYYYMMDDhhmmss-xxxxx` [3P]. */
export const ROLLING_ID_PATTERN = /^eprol-\d{14}-[a-z0-9]{5}$/;

/**
 * Server defaults [3P live, F15]: `Step` percentage points of traffic move to the new model every `WaitDuration`
 * minutes ("默认策略每分钟推进 2%"): 50 steps, about 50 minutes from 0 to 100%.
 */
export const DEFAULT_ROLLING_STEP = 2;
export const DEFAULT_ROLLING_WAIT_MINUTES = 1;
/** Percent of traffic on the new model when the switch is done [3P live: done = RollingGray 100 + the endpoint bound]. */
export const FULL_GRAY = 100;

/**
 * Statuses ark-local writes. Recorded [3P, F15]: `Running` (traffic moving, and still `Running` at 100%, see
 * `Rollings` in emulator/ark/rollings.ts), `Reverting` (after Rollback, stepping back), `Reverted` (0%, after
 * Cancel or a finished Rollback). `Failed` [I]: no failure was recorded; ark-local's injected failure stops the
 * rollout where it is, holding the endpoint, with a `StatusReason`.
 */
export const ROLLING_STATUSES = ['Running', 'Failed', 'Reverting', 'Reverted'] as const;
export const RollingStatusSchema = z.enum(ROLLING_STATUSES);
export type RollingStatus = z.infer<typeof RollingStatusSchema>;
/** Statuses of the contract this project used before F15; the reader still understands them. */
export const LEGACY_ROLLING_STATUSES = ['Completed', 'Cancelled'] as const;

/**
 * A model a rollout switches from or to (`RollingIn` / `RollingOut`). Recorded [3P]: `{Name, ModelVersion}` for
 * foundation models. For a custom model [I] the id: `{CustomModelId}`, as in the endpoint's own ModelReference.
 */
export const RollingModelSchema = z.union([z.strictObject({ Name: z.string(), ModelVersion: z.string() }), z.strictObject({ CustomModelId: z.string() })]);
export type RollingModel = z.infer<typeof RollingModelSchema>;

/** `Step` = percentage points per step (≥ 1), `WaitDuration` = minutes per step (≥ 0); no source gives limits. */
export const RollingStrategySchema = z.object({
  Step: z.number().int().min(1),
  WaitDuration: z.number().int().min(0),
});

/**
 * The target of a rollout as the request names it: recorded [3P] `{FoundationModel: {Name, ModelVersion}}`; for a
 * custom model [I] `{CustomModelId}`, as CreateEndpoint's ModelReference.
 */
export const RollingModelReferenceSchema = z.union([
  z.strictObject({ CustomModelId: z.string().min(1) }),
  z.strictObject({ FoundationModel: z.object({ Name: z.string().min(1), ModelVersion: z.string().min(1) }) }),
]);

export const CreateEndpointRollingRequestSchema = z.object({
  EndpointId: z.string().min(1),
  ModelReference: RollingModelReferenceSchema,
  Description: z.string().optional(),
  /**
   * [I] The record shows `RollingStrategy` only in Get's answer; a request may carry the same object, and
   * without it the server defaults apply. The provider never sends it (the defaults are what the record saw).
   */
  RollingStrategy: RollingStrategySchema.optional(),
  DryRun: z.boolean().optional(),
});
export type CreateEndpointRollingRequest = z.infer<typeof CreateEndpointRollingRequestSchema>;
export const RollingIdResultSchema = z.object({ Id: z.string() });

export const RollingInfoSchema = z.object({
  Id: z.string(),
  EndpointId: z.string(),
  Status: RollingStatusSchema,
  /** The new model (the 3P UI labels it 新模型). */
  RollingIn: RollingModelSchema,
  /** The model the endpoint served when the rollout began. */
  RollingOut: RollingModelSchema,
  /** Integer percent of traffic on the new model, 0–100. */
  RollingGray: z.number().int().min(0).max(FULL_GRAY),
  RollingStrategy: RollingStrategySchema,
  /** [I] The request's Description, echoed. */
  Description: z.string().optional(),
  /** [I] Why ark-local's rollout Failed (kept through a rollback or cancel that followed). */
  StatusReason: z.string().optional(),
  CreateTime: z.string(),
  UpdateTime: z.string(),
});
export type RollingInfo = z.infer<typeof RollingInfoSchema>;

export const GetEndpointRollingRequestSchema = z.object({ Id: z.string().min(1) });
export const GetEndpointRollingResultSchema = z.object({ RollingInfo: RollingInfoSchema });

export const RollbackEndpointRollingRequestSchema = z.object({ Id: z.string().min(1) });
export const CancelEndpointRollingRequestSchema = z.object({ Id: z.string().min(1) });

// Readers (what the client accepts), tolerant like ark.ts's: unknown fields kept, a status the service adds
// later kept as a string (the waiter waits through it), and only what READ_NEEDS marks required is required.
const RollingModelReadSchema = readObject({ Name: z.string(), ModelVersion: z.string(), CustomModelId: z.string() }, READ_NEEDS.RollingModel);
const RollingStrategyReadSchema = readObject({ Step: z.number(), WaitDuration: z.number() }, READ_NEEDS.RollingStrategy);
export const RollingInfoReadSchema = readObject(
  {
    Id: z.string(),
    EndpointId: z.string(),
    Status: openEnum([...ROLLING_STATUSES, ...LEGACY_ROLLING_STATUSES]),
    RollingIn: RollingModelReadSchema,
    RollingOut: RollingModelReadSchema,
    RollingGray: z.number(),
    RollingStrategy: RollingStrategyReadSchema,
    Description: z.string(),
    StatusReason: z.string(),
    CreateTime: z.string(),
    UpdateTime: z.string(),
    Progress: z.number(),
    FromModelReference: RollingModelReadSchema,
    ToModelReference: RollingModelReadSchema,
  },
  READ_NEEDS.RollingInfo,
);
export type RollingInfoRead = z.infer<typeof RollingInfoReadSchema>;
const idRead = readObject({ Id: z.string() }, READ_NEEDS.IdResult);
const echoRead = readObject({ Id: z.string() }, READ_NEEDS.RollingEchoResult);

/** The rolling actions, in the shape of ark.ts's `ArkActions` table (request, result as written, as read). */
export const ArkRollingActions = {
  CreateEndpointRolling: { request: CreateEndpointRollingRequestSchema, result: RollingIdResultSchema, read: idRead },
  GetEndpointRolling: { request: GetEndpointRollingRequestSchema, result: GetEndpointRollingResultSchema, read: readObject({ RollingInfo: RollingInfoReadSchema }, READ_NEEDS.GetRollingResult) },
  RollbackEndpointRolling: { request: RollbackEndpointRollingRequestSchema, result: RollingIdResultSchema, read: echoRead },
  CancelEndpointRolling: { request: CancelEndpointRollingRequestSchema, result: RollingIdResultSchema, read: echoRead },
} as const;

/**
 * What `CreateEndpointRolling` is sent to switch `endpointId` to `customModelId` (shared by the controller and
 * doctor). No `RollingStrategy`: the server's defaults (+2% every minute) are the only pacing the record saw.
 */
export function createRollingRequest(endpointId: string, customModelId: string, description?: string): CreateEndpointRollingRequest {
  return {
    EndpointId: endpointId,
    ModelReference: { CustomModelId: customModelId },
    ...(description ? { Description: description } : {}),
  };
}

/** A rollout as the client uses it, whichever names the answer used (see the module comment). */
export interface RollingView {
  id: string;
  status: string;
  /** Percent of traffic on the new model; absent when the answer gives none. */
  gray?: number;
  /** Custom model ids of the new model and the old one, when the answer names them that way. */
  target?: string;
  source?: string;
  /** Percentage points per step and minutes per step, when given. */
  step?: number;
  waitMinutes?: number;
  reason?: string;
}

export function rollingView(info: RollingInfoRead): RollingView {
  const gray = info.RollingGray ?? info.Progress ?? (info.Status === 'Completed' ? FULL_GRAY : undefined);
  const target = info.RollingIn?.CustomModelId ?? info.ToModelReference?.CustomModelId;
  const source = info.RollingOut?.CustomModelId ?? info.FromModelReference?.CustomModelId;
  // The older top-level Step counted batches, not points: only RollingStrategy says how fast traffic moves.
  const step = info.RollingStrategy?.Step;
  const waitMinutes = info.RollingStrategy?.WaitDuration;
  return {
    id: info.Id,
    status: info.Status,
    ...(gray !== undefined ? { gray } : {}),
    ...(target !== undefined ? { target } : {}),
    ...(source !== undefined ? { source } : {}),
    ...(step !== undefined ? { step } : {}),
    ...(waitMinutes !== undefined ? { waitMinutes } : {}),
    ...(info.StatusReason ? { reason: info.StatusReason } : {}),
  };
}
