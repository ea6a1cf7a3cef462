import { z } from 'zod';
import { ArkRollingActions } from './ark-rolling';
import { FOUNDATION_MODEL_ID_PATTERN } from './ids';
import { READ_NEEDS } from './read-needs';
import { type Open, openEnum, readObject } from './reader';

/**
 * Wire contracts of the Ark control-plane actions (POST /?Action=X&Version=2024-01-01, JSON body, PascalCase).
 *
 * Tolerant reader, strict writer. Three schemas per action:
 * - `request`: what the client sends and ark-local validates. Strict, but only with limits a source states
 *   (each named beside it); every other rule is the service's to enforce.
 * - `result`: what ark-local builds (the writer). Known enum values only, every field ark-local always sends.
 * - `read`: what the client accepts (the reader). Enums are open (an unknown value is kept, not an error),
 *   objects keep unknown fields, and a field is required only when READ_NEEDS (read-needs.ts) says the client
 *   cannot proceed without it.
 * Facts and their confidence: ../shared/reference/ark-api.md (beside the repository); every inference made
 * here is listed in docs/api-assumptions.md.
 */

// ---------------------------------------------------------------------------------------------------- common

/** Tag key required (TFCC). No source states lengths or a count limit, so the service enforces its own. */
export const TagSchema = z.object({ Key: z.string().min(1), Value: z.string() });
export const TagsSchema = z.array(TagSchema);
export type RequestTag = z.infer<typeof TagSchema>;
const TagReadSchema = readObject({ Key: z.string(), Value: z.string() }, READ_NEEDS.Tag);
export type Tag = z.infer<typeof TagReadSchema>;

export const TagFilterSchema = z.object({ Key: z.string().min(1), Values: z.array(z.string()).optional() });
export type TagFilter = z.infer<typeof TagFilterSchema>;

/** Paging 1-based, PageSize 1..100 [C] D-1262430 / D-1262846; SortBy/SortOrder values [C] D-1262846. */
export const PagingRequestSchema = z.object({
  PageNumber: z.number().int().min(1).optional(),
  PageSize: z.number().int().min(1).max(100).optional(),
  ProjectName: z.string().optional(),
  SortBy: z.enum(['CreateTime', 'UpdateTime']).optional(),
  SortOrder: z.enum(['Asc', 'Desc']).optional(),
  TagFilters: z.array(TagFilterSchema).optional(),
});

export function pageResultSchema<T extends z.ZodType>(item: T) {
  return z.object({
    TotalCount: z.number().int(),
    PageNumber: z.number().int(),
    PageSize: z.number().int(),
    Items: z.array(item),
  });
}

function pageReadSchema<T extends z.ZodType>(item: T) {
  return readObject(
    { TotalCount: z.number().int(), PageNumber: z.number().int(), PageSize: z.number().int(), Items: z.array(item) },
    READ_NEEDS.Page,
  );
}

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PROJECT_NAME = 'default';

export const IdRequestSchema = z.object({ Id: z.string().min(1) });
export const IdResultSchema = z.object({ Id: z.string() });
const IdReadSchema = readObject({ Id: z.string() }, READ_NEEDS.IdResult);
/** Actions with no output answer `"Result": {}` (or, DeleteCustomModel, may send no Result at all). */
export const EmptyResultSchema = z.object({});
const EmptyReadSchema = z.looseObject({});

export const FoundationModelRefSchema = z.object({ Name: z.string().min(1), ModelVersion: z.string().min(1) });
export type FoundationModelRef = z.infer<typeof FoundationModelRefSchema>;
/**
 * Reader of a FoundationModel reference. The 2026 Node SDK adds `ConfigurationId` on custom models (reference
 * ark-api-2026.md F7): nothing needs it, so it is kept as an unknown field, not read.
 */
const FoundationModelReadSchema = readObject({ Name: z.string(), ModelVersion: z.string() }, READ_NEEDS.FoundationModelRef);

// -------------------------------------------------------------------------------------------------- endpoints

/** Documented enum (GO@d319283f; newer SDKs made it a free string) plus `Deleting`, inferred (api-assumptions). */
export const ENDPOINT_STATUSES = ['Scheduling', 'Running', 'Abnormal', 'Stopped', 'Deleting'] as const;
export type KnownEndpointStatus = (typeof ENDPOINT_STATUSES)[number];
/** Reader: any status; the waiters treat one they do not know as transitional. */
export const EndpointStatusSchema = openEnum(ENDPOINT_STATUSES);
export type EndpointStatus = Open<KnownEndpointStatus>;

/** int32 fields [C] GO; Rpm and Tpm sent together [C-cli]. No range is documented beyond the type. */
/** Rpm and Tpm are int32 in the Go SDK's types [C]. */
export const INT32_MAX = 2_147_483_647;
const INT32 = z.number().int().min(-INT32_MAX - 1).max(INT32_MAX);
export const RateLimitSchema = z.object({ Rpm: INT32, Tpm: INT32 });
const RateLimitReadSchema = readObject({ Rpm: z.number(), Tpm: z.number() }, READ_NEEDS.RateLimit);
export type RateLimit = z.infer<typeof RateLimitReadSchema>;

/** Values seen: TFCC Default/Basic; ark-cli Basic/Customized/Default/Skip. No source says the set is closed. */
export const MODERATION_STRATEGIES = ['Default', 'Basic', 'Customized', 'Skip'] as const;
export const ModerationStrategySchema = openEnum(MODERATION_STRATEGIES);
export const ModerationSchema = z.object({ Strategy: z.string().min(1) });
const ModerationReadSchema = readObject({ Strategy: ModerationStrategySchema }, READ_NEEDS.Moderation);
export type Moderation = z.infer<typeof ModerationReadSchema>;

export const ModelReferenceSchema = z.object({
  CustomModelId: z.string().min(1).optional(),
  FoundationModel: FoundationModelRefSchema.optional(),
});
const ModelReferenceReadSchema = readObject(
  { CustomModelId: z.string(), FoundationModel: FoundationModelReadSchema },
  READ_NEEDS.ModelReference,
);
export type ModelReference = z.infer<typeof ModelReferenceReadSchema>;

/**
 * Name required [C] GO/TFCC; no length or charset rule is documented for endpoints (reference §6). Only the
 * fields we send are listed: the newer SDK's extras (`BatchOnly`, `DataDelivery`, `DedicatedToPTU`, `Domain`,
 * `ContentGeneration`, `ServiceInfo`, [C] F9) configure other kinds of endpoint, and ark-local ignores them.
 */
export const CreateEndpointRequestSchema = z.object({
  Name: z.string().min(1),
  ModelReference: ModelReferenceSchema,
  Description: z.string().optional(),
  ModelUnitId: z.string().optional(),
  RateLimit: RateLimitSchema.optional(),
  Moderation: ModerationSchema.optional(),
  Tags: TagsSchema.optional(),
  ProjectName: z.string().optional(),
  DryRun: z.boolean().optional(),
});
export type CreateEndpointRequest = z.infer<typeof CreateEndpointRequestSchema>;

export const ENDPOINT_MODEL_TYPES = ['FoundationModel', 'CustomModel'] as const;

/** Writer: the endpoint object as ark-local builds it (reference §2.4). */
export const EndpointSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  Description: z.string().optional(),
  ProjectName: z.string().optional(),
  Tags: z.array(TagSchema).optional(),
  ModelReference: ModelReferenceSchema,
  EndpointModelType: z.enum(ENDPOINT_MODEL_TYPES).optional(),
  ModelUnitId: z.string().optional(),
  Status: z.enum(ENDPOINT_STATUSES),
  StatusReason: z.string().optional(),
  RateLimit: RateLimitSchema.optional(),
  Moderation: z.object({ Strategy: z.enum(MODERATION_STRATEGIES) }).optional(),
  CreateTime: z.string(),
  UpdateTime: z.string(),
  RollingId: z.string().optional(),
  SupportRolling: z.boolean().optional(),
  ScaleTierId: z.string().optional(),
  SupportScaleTier: z.boolean().optional(),
  BatchOnly: z.boolean().optional(),
});

/** Content-generation (video) quotas of an endpoint [C] F11; never set on a chat endpoint of a model unit. */
const ContentGenerationSchema = z.object({ ConcurrentRequests: z.number().int(), CreateTaskRpm: z.number().int() });
const ContentGenerationReadSchema = readObject({ ConcurrentRequests: z.number(), CreateTaskRpm: z.number() }, READ_NEEDS.ContentGeneration);

/**
 * Writer: a ListEndpoints item. Only the fields both official SDKs (Python, Go) list for an item, plus the two
 * the newer TypeScript SDK adds (F11): the item carries no Moderation, BatchOnly or scale tier, GetEndpoint does.
 */
export const EndpointListItemSchema = EndpointSchema.omit({ Moderation: true, BatchOnly: true, ScaleTierId: true, SupportScaleTier: true }).extend({
  /** Values undocumented [C field, F11]; ark-local's are `ARK_LOCAL_PAYMENT_TYPES` (emulator/ark/endpoints.ts). */
  PaymentType: z.string().optional(),
  ContentGeneration: ContentGenerationSchema.optional(),
});

/** Reader: what the client accepts as an endpoint. */
export const EndpointReadSchema = readObject(
  {
    Id: z.string(),
    Name: z.string(),
    Description: z.string(),
    ProjectName: z.string(),
    Tags: z.array(TagReadSchema),
    ModelReference: ModelReferenceReadSchema,
    EndpointModelType: openEnum(ENDPOINT_MODEL_TYPES),
    ModelUnitId: z.string(),
    Status: EndpointStatusSchema,
    StatusReason: z.string(),
    RateLimit: RateLimitReadSchema,
    Moderation: ModerationReadSchema,
    CreateTime: z.string(),
    UpdateTime: z.string(),
    RollingId: z.string(),
    SupportRolling: z.boolean(),
    ScaleTierId: z.string(),
    SupportScaleTier: z.boolean(),
    BatchOnly: z.boolean(),
  },
  READ_NEEDS.Endpoint,
);
export type Endpoint = z.infer<typeof EndpointReadSchema>;

/** Reader: a ListEndpoints item, an endpoint plus what only list items carry (F11). */
export const EndpointListItemReadSchema = EndpointReadSchema.extend(
  readObject({ PaymentType: z.string(), ContentGeneration: ContentGenerationReadSchema }, READ_NEEDS.EndpointListItem).shape,
);
export type EndpointListItem = z.infer<typeof EndpointListItemReadSchema>;

export const ListEndpointsRequestSchema = PagingRequestSchema.extend({
  Filter: z
    .object({
      Ids: z.array(z.string()).optional(),
      /** Substring match (inferred; see api-assumptions). */
      Name: z.string().optional(),
      Statuses: z.array(z.string()).optional(),
      /** [C] GO, PY, JAVA: `FoundationModel` / `CustomModel`. */
      EndpointModelTypes: z.array(z.string()).optional(),
      CustomModelIds: z.array(z.string()).optional(),
      FoundationModelName: z.string().optional(),
      ModelVersions: z.array(z.string()).optional(),
      /** The newer SDK's filters [C] F11, semantics inferred (api-assumptions "Lists"). */
      PaymentType: z.string().optional(),
      ModelOrServiceName: z.string().optional(),
      Domain: z.string().optional(),
      ServiceInfoIds: z.array(z.string()).optional(),
    })
    .optional(),
});
export type ListEndpointsRequest = z.infer<typeof ListEndpointsRequestSchema>;

/** `DryRun` is required in the newer SDK's generated type [C] F10: the client always sends it. */
export const UpdateEndpointRequestSchema = z.object({
  Id: z.string().min(1),
  DryRun: z.boolean(),
  Name: z.string().min(1).optional(),
  Description: z.string().optional(),
  RateLimit: RateLimitSchema.optional(),
  Moderation: ModerationSchema.optional(),
  Tags: TagsSchema.optional(),
});
export type UpdateEndpointRequest = z.infer<typeof UpdateEndpointRequestSchema>;

/** ResourceType values [C] GO/PY (`presetendpoint` from the runtime SDKs); DurationSeconds 0..2592000 [C] D-1262825. */
export const ApiKeyResourceTypeSchema = z.enum(['endpoint', 'bot', 'presetendpoint']);
export const GetApiKeyRequestSchema = z.object({
  DurationSeconds: z.number().int().min(0).max(2_592_000),
  ResourceType: ApiKeyResourceTypeSchema,
  ResourceIds: z.array(z.string()).optional(),
  ProjectName: z.string().optional(),
});
export type GetApiKeyRequest = z.infer<typeof GetApiKeyRequestSchema>;
/** `ExpiredTime` is unix seconds (the SDKs treat it so, whatever the doc prose says). */
export const GetApiKeyResultSchema = z.object({ ApiKey: z.string(), ExpiredTime: z.number().int() });
const GetApiKeyReadSchema = readObject({ ApiKey: z.string(), ExpiredTime: z.number() }, READ_NEEDS.ApiKey);

// ------------------------------------------------------------------------------------------------ custom models

/** Inferred lifecycle of an imported model (see api-assumptions): Preparing -> Processing -> Ready | Failed. */
export const CUSTOM_MODEL_STATUSES = ['Preparing', 'Processing', 'Ready', 'Failed', 'Deleting'] as const;
export type KnownCustomModelStatus = (typeof CUSTOM_MODEL_STATUSES)[number];
export const CustomModelStatusSchema = openEnum(CUSTOM_MODEL_STATUSES);
export type CustomModelStatus = Open<KnownCustomModelStatus>;

/** Precision schemes we send in UploadModel (our own names, see upload-model.ts); absent = BF16/FP16. */
export const QUANTIZATIONS = ['W8A8', 'W8A8_FP8', 'W4A8'] as const;
export const QuantizationSchema = z.enum(QUANTIZATIONS);
export type Quantization = z.infer<typeof QuantizationSchema>;

/**
 * `{BucketName, ObjectKey}` follows the confirmed convention of CreateBatchInferenceJob; ObjectKey is a prefix.
 * Bucket names are 3-63 characters [C] tos-protocol.md (the TOS SDK checks the same).
 */
export const TosLocationSchema = z.object({ BucketName: z.string().min(3).max(63), ObjectKey: z.string() });
export type TosLocation = z.infer<typeof TosLocationSchema>;
const TosLocationReadSchema = readObject({ BucketName: z.string(), ObjectKey: z.string() }, READ_NEEDS.TosLocation);

/** Custom model name rule (C-cli): starts with an ASCII letter, then CJK, letters, digits, `_` or `-`. No length given. */
export const CUSTOM_MODEL_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_\-\u4e00-\u9fff]*$/;
/** Custom model Description ≤ 300 characters [C-cli] upload/update docs. */
export const MAX_CUSTOM_MODEL_DESCRIPTION = 300;

/**
 * The base an import names by its model-card id (`fm-…`, ark-cli's `--base-model <fm-id>`, F6). How the wire
 * carries it is our guess [I]: inside `FoundationModel`, as `{Id}`, beside the `{Name, ModelVersion}` form.
 */
export const FoundationModelIdRefSchema = z.object({ Id: z.string().regex(FOUNDATION_MODEL_ID_PATTERN) });
export type FoundationModelIdRef = z.infer<typeof FoundationModelIdRefSchema>;
/** What UploadModel's `FoundationModel` carries: a `{Name, ModelVersion}` pair or an `{Id: "fm-…"}`. */
export const UploadBaseRefSchema = z.union([FoundationModelRefSchema, FoundationModelIdRefSchema]);
export type UploadBaseRef = z.infer<typeof UploadBaseRefSchema>;

/**
 * Request shape of UploadModel, the TOS import action. Not public: every field here is an assumption, built
 * in one place (provider/api/upload-model.ts) so `pulumi-ark doctor --upload-model-request` can print it.
 */
export const UploadModelRequestSchema = z.object({
  Name: z.string().min(1).regex(CUSTOM_MODEL_NAME_PATTERN),
  Description: z.string().max(MAX_CUSTOM_MODEL_DESCRIPTION).optional(),
  ProjectName: z.string().optional(),
  FoundationModel: UploadBaseRefSchema,
  TosLocation: TosLocationSchema,
  Quantization: QuantizationSchema.optional(),
  Tags: TagsSchema.optional(),
  DryRun: z.boolean().optional(),
});
export type UploadModelRequest = z.infer<typeof UploadModelRequestSchema>;

/**
 * Writer: a ListCustomModels item as ark-local builds it. The 2026 Node SDK puts `Status` on List items only
 * (reference ark-api-2026.md F7); `StatusReason`, `Quantization` and `TosLocation` are ours [I] (no SDK names
 * them; the doc example of GetCustomModel does show Status).
 */
export const CustomModelSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  Description: z.string().optional(),
  ProjectName: z.string().optional(),
  /** `Import` for UploadModel (the doc only shows `Customization`). */
  SourceType: z.string().optional(),
  /** Absent for an import that named its base by `fm-…` id: ark-local has no model cards to resolve it. */
  FoundationModel: FoundationModelRefSchema.optional(),
  CustomizationType: z.string().optional(),
  Status: z.enum(CUSTOM_MODEL_STATUSES),
  StatusReason: z.string().optional(),
  Quantization: QuantizationSchema.optional(),
  TosLocation: TosLocationSchema.optional(),
  Tags: z.array(TagSchema).optional(),
  CreateTime: z.string(),
  UpdateTime: z.string(),
});
export type CustomModelWire = z.infer<typeof CustomModelSchema>;

/**
 * Writer: GetCustomModel's Result. The 2026 Node SDK's Get shape has no `Status` (and no `StatusReason`), so
 * ark-local leaves both out unless started with `customModelStatusOnGet` (emulator/ark/compat.ts).
 */
export const GetCustomModelResultSchema = CustomModelSchema.extend({
  Status: z.enum(CUSTOM_MODEL_STATUSES).optional(),
});

const customModelReadShape = {
  Id: z.string(),
  Name: z.string(),
  Description: z.string(),
  ProjectName: z.string(),
  SourceType: z.string(),
  FoundationModel: FoundationModelReadSchema,
  CustomizationType: z.string(),
  Status: CustomModelStatusSchema,
  StatusReason: z.string(),
  Quantization: openEnum(QUANTIZATIONS),
  TosLocation: TosLocationReadSchema,
  Tags: z.array(TagReadSchema),
  CreateTime: z.string(),
  UpdateTime: z.string(),
};

/**
 * Reader of GetCustomModel: `Status` may be absent (the 2026 Node SDK's shape); the finder then reads it from
 * ListCustomModels (provider/clients/ark/finders.ts), the union of what the SDKs say.
 */
export const CustomModelReadSchema = readObject(customModelReadShape, READ_NEEDS.CustomModel);
export type CustomModel = z.infer<typeof CustomModelReadSchema>;
/** Reader of a ListCustomModels item: where `Status` is (every SDK has it there). */
export const CustomModelItemReadSchema = readObject(customModelReadShape, READ_NEEDS.CustomModelItem);
export type CustomModelItem = z.infer<typeof CustomModelItemReadSchema>;

export const ListCustomModelsRequestSchema = PagingRequestSchema.extend({
  Filter: z
    .object({
      Ids: z.array(z.string()).optional(),
      Name: z.string().optional(),
      Statuses: z.array(z.string()).optional(),
    })
    .optional(),
});
export type ListCustomModelsRequest = z.infer<typeof ListCustomModelsRequestSchema>;

export const UpdateCustomModelRequestSchema = z.object({
  Id: z.string().min(1),
  Name: z.string().min(1).regex(CUSTOM_MODEL_NAME_PATTERN).optional(),
  Description: z.string().max(MAX_CUSTOM_MODEL_DESCRIPTION).optional(),
  DryRun: z.boolean().optional(),
});
export type UpdateCustomModelRequest = z.infer<typeof UpdateCustomModelRequestSchema>;

export const DeleteCustomModelRequestSchema = z.object({ Id: z.string().min(1), DryRun: z.boolean().optional() });

// ------------------------------------------------------------------------------------------------------ actions

interface ActionContract {
  request: z.ZodType;
  /** Writer: what ark-local builds and checks before sending. */
  result: z.ZodType;
  /** Reader: what the client accepts. */
  read: z.ZodType;
  /** The action has no output, so an answer without `Result` is as good as `"Result": {}`. */
  emptyResult?: true;
}

const empty = { result: EmptyResultSchema, read: EmptyReadSchema, emptyResult: true } as const;

/** Every action: its request schema, its Result as written and as read. One table drives client and emulator. */
export const ArkActions = {
  CreateEndpoint: { request: CreateEndpointRequestSchema, result: IdResultSchema, read: IdReadSchema },
  GetEndpoint: { request: IdRequestSchema, result: EndpointSchema, read: EndpointReadSchema },
  ListEndpoints: {
    request: ListEndpointsRequestSchema,
    result: pageResultSchema(EndpointListItemSchema),
    read: pageReadSchema(EndpointListItemReadSchema),
  },
  UpdateEndpoint: { request: UpdateEndpointRequestSchema, ...empty },
  DeleteEndpoint: { request: IdRequestSchema, ...empty },
  StartEndpoint: { request: IdRequestSchema, ...empty },
  StopEndpoint: { request: IdRequestSchema, ...empty },
  GetApiKey: { request: GetApiKeyRequestSchema, result: GetApiKeyResultSchema, read: GetApiKeyReadSchema },
  UploadModel: { request: UploadModelRequestSchema, result: IdResultSchema, read: IdReadSchema },
  GetCustomModel: { request: IdRequestSchema, result: GetCustomModelResultSchema, read: CustomModelReadSchema },
  ListCustomModels: {
    request: ListCustomModelsRequestSchema,
    result: pageResultSchema(CustomModelSchema),
    read: pageReadSchema(CustomModelItemReadSchema),
  },
  UpdateCustomModel: { request: UpdateCustomModelRequestSchema, result: IdResultSchema, read: IdReadSchema },
  DeleteCustomModel: { request: DeleteCustomModelRequestSchema, ...empty },
  ...ArkRollingActions,
} as const satisfies Record<string, ActionContract>;

export type ArkAction = keyof typeof ArkActions;
export type ArkRequest<A extends ArkAction> = z.input<(typeof ArkActions)[A]['request']>;
/** What the client hands back: the reader's view of `Result`. */
export type ArkResult<A extends ArkAction> = z.infer<(typeof ArkActions)[A]['read']>;

export function isArkAction(name: string): name is ArkAction {
  return Object.prototype.hasOwnProperty.call(ArkActions, name);
}

/** True when the action documents no output, so its answer may omit `Result`. */
export function hasEmptyResult(action: ArkAction): boolean {
  return (ArkActions[action] as ActionContract).emptyResult === true;
}
