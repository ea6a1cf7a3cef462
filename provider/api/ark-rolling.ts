import { z } from 'zod';
import { READ_NEEDS } from './read-needs';
import { openEnum, readObject } from './reader';

/**
 * Wire contract of the rolling model switch of an endpoint (`CreateEndpointRolling`, `GetEndpointRolling`,
 * `RollbackEndpointRolling`, `CancelEndpointRolling`, version 2024-01-01). Only the action names, the rolling id
 * format, the server defaults `Step=2` / `WaitDuration=1`, the observed states (`Running x%`, `Reverting x%`,
 * `Reverted 0%`), the create request `{EndpointId, ModelReference, Description, DryRun}` answered by `{Id}` and a
 * `RollingInfo` object in Get's answer are public (../shared/reference/ark-api.md §2.9). Every other field and
 * rule is decided here and listed in docs/api-assumptions.md "Rolling model switch".
 *
 * No import from ark.ts on purpose (ark.ts registers these actions in its table); the readers are built from
 * READ_NEEDS with reader.ts, as ark.ts's are.
 */

/** `eprol-YYYYMMDDhhmmss-xxxxx` [3P]. */
export const ROLLING_ID_PATTERN = /^eprol-\d{14}-[a-z0-9]{5}$/;

/** Server defaults [3P]: `Step` batches (2: 50% then 100%), `WaitDuration` minutes between batches. */
export const DEFAULT_ROLLING_STEP = 2;
export const DEFAULT_ROLLING_WAIT_MINUTES = 1;

/**
 * Lifecycle (decided around the observed Running/Reverting/Reverted): Running -> Completed; Running -> Failed
 * (a batch failed; traffic stays where it was); Running | Failed -> (Rollback) Reverting -> Reverted;
 * Running -> (Cancel) Cancelled, all traffic back on the old model at once.
 */
export const ROLLING_STATUSES = ['Running', 'Completed', 'Failed', 'Reverting', 'Reverted', 'Cancelled'] as const;
export const RollingStatusSchema = z.enum(ROLLING_STATUSES);
export type RollingStatus = z.infer<typeof RollingStatusSchema>;
/** States in which a rollout still holds the endpoint (its `RollingId` is set) and no new one may start. */
export const ACTIVE_ROLLING_STATUSES: readonly RollingStatus[] = ['Running', 'Failed', 'Reverting'];

/** A rollout switches to another custom model (decided: foundation-model endpoints are not rolled here). */
export const RollingModelReferenceSchema = z.object({ CustomModelId: z.string().min(1) });
export type RollingModelReference = z.infer<typeof RollingModelReferenceSchema>;

/** No source states limits for these fields, so only their types are checked (the service enforces its own). */
export const CreateEndpointRollingRequestSchema = z.object({
  EndpointId: z.string().min(1),
  ModelReference: RollingModelReferenceSchema,
  Description: z.string().optional(),
  /** Number of batches traffic moves in (decided meaning of the public `Step`). */
  Step: z.number().int().min(1).optional(),
  /** Minutes to observe each batch before the next (decided meaning of the public `WaitDuration`). */
  WaitDuration: z.number().int().min(0).optional(),
  DryRun: z.boolean().optional(),
});
export type CreateEndpointRollingRequest = z.infer<typeof CreateEndpointRollingRequestSchema>;
export const CreateEndpointRollingResultSchema = z.object({ Id: z.string() });

export const RollingInfoSchema = z.object({
  Id: z.string(),
  EndpointId: z.string(),
  Status: RollingStatusSchema,
  /** Percent of traffic served by the new model, 0–100. */
  Progress: z.number().int().min(0).max(100),
  /** Batches taken so far (`CurrentStep` of `Step`). */
  CurrentStep: z.number().int().min(0),
  Step: z.number().int().min(1),
  WaitDuration: z.number().int().min(0),
  FromModelReference: RollingModelReferenceSchema,
  ToModelReference: RollingModelReferenceSchema,
  Description: z.string().optional(),
  /** Why the rollout Failed (the service's reason), or why it was reverted or cancelled. */
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
const RollingModelReferenceReadSchema = readObject({ CustomModelId: z.string() }, READ_NEEDS.RollingModelReference);
export const RollingInfoReadSchema = readObject(
  {
    Id: z.string(),
    EndpointId: z.string(),
    Status: openEnum(ROLLING_STATUSES),
    Progress: z.number(),
    CurrentStep: z.number(),
    Step: z.number(),
    WaitDuration: z.number(),
    FromModelReference: RollingModelReferenceReadSchema,
    ToModelReference: RollingModelReferenceReadSchema,
    Description: z.string(),
    StatusReason: z.string(),
    CreateTime: z.string(),
    UpdateTime: z.string(),
  },
  READ_NEEDS.RollingInfo,
);
export type RollingInfoRead = z.infer<typeof RollingInfoReadSchema>;
const empty = { result: z.object({}), read: z.looseObject({}), emptyResult: true } as const;

/** The rolling actions, in the shape of ark.ts's `ArkActions` table (request, result as written, as read). */
export const ArkRollingActions = {
  CreateEndpointRolling: { request: CreateEndpointRollingRequestSchema, result: CreateEndpointRollingResultSchema, read: readObject({ Id: z.string() }, READ_NEEDS.IdResult) },
  GetEndpointRolling: { request: GetEndpointRollingRequestSchema, result: GetEndpointRollingResultSchema, read: readObject({ RollingInfo: RollingInfoReadSchema }, READ_NEEDS.GetRollingResult) },
  RollbackEndpointRolling: { request: RollbackEndpointRollingRequestSchema, ...empty },
  CancelEndpointRolling: { request: CancelEndpointRollingRequestSchema, ...empty },
} as const;

/** What `CreateEndpointRolling` is sent to switch `endpointId` to `customModelId` (shared by the controller and doctor). */
export function createRollingRequest(endpointId: string, customModelId: string, description?: string): CreateEndpointRollingRequest {
  return {
    EndpointId: endpointId,
    ModelReference: { CustomModelId: customModelId },
    Step: DEFAULT_ROLLING_STEP,
    WaitDuration: DEFAULT_ROLLING_WAIT_MINUTES,
    ...(description ? { Description: description } : {}),
  };
}
