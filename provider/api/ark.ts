import { z } from 'zod';
import { ArkRollingActions } from './ark-rolling';

/**
 * Wire contracts of the Ark control-plane actions (POST /?Action=X&Version=2024-01-01, JSON body, PascalCase).
 * Request schemas are what the emulator validates and the client sends; response schemas are what the emulator
 * builds and the client parses. Response objects are non-strict so fields the real service adds later do not
 * break parsing. Facts and their confidence: ../shared/reference/ark-api.md (beside the repository); every inference made here is
 * listed in docs/api-assumptions.md.
 */

// ---------------------------------------------------------------------------------------------------- common

export const TagSchema = z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) });
export type Tag = z.infer<typeof TagSchema>;
export const TagsSchema = z.array(TagSchema).max(50);

export const TagFilterSchema = z.object({ Key: z.string().min(1), Values: z.array(z.string()).optional() });
export type TagFilter = z.infer<typeof TagFilterSchema>;

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

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PROJECT_NAME = 'default';

export const IdRequestSchema = z.object({ Id: z.string().min(1) });
export const IdResultSchema = z.object({ Id: z.string() });
/** Actions with no output answer `"Result": {}`. */
export const EmptyResultSchema = z.object({});

export const FoundationModelRefSchema = z.object({ Name: z.string().min(1), ModelVersion: z.string().min(1) });
export type FoundationModelRef = z.infer<typeof FoundationModelRefSchema>;

// -------------------------------------------------------------------------------------------------- endpoints

/** Documented enum (GO@d319283f) plus `Deleting`, an inferred transitional state (see api-assumptions). */
export const EndpointStatusSchema = z.enum(['Scheduling', 'Running', 'Abnormal', 'Stopped', 'Deleting']);
export type EndpointStatus = z.infer<typeof EndpointStatusSchema>;

export const RateLimitSchema = z.object({
  Rpm: z.number().int().min(0).max(2_147_483_647),
  Tpm: z.number().int().min(0).max(2_147_483_647),
});
export type RateLimit = z.infer<typeof RateLimitSchema>;

export const ModerationStrategySchema = z.enum(['Default', 'Basic', 'Customized', 'Skip']);
export const ModerationSchema = z.object({ Strategy: ModerationStrategySchema });
export type Moderation = z.infer<typeof ModerationSchema>;

export const ModelReferenceSchema = z.object({
  CustomModelId: z.string().min(1).optional(),
  FoundationModel: FoundationModelRefSchema.optional(),
});
export type ModelReference = z.infer<typeof ModelReferenceSchema>;

export const CreateEndpointRequestSchema = z.object({
  Name: z.string().min(1).max(64),
  ModelReference: ModelReferenceSchema,
  Description: z.string().max(300).optional(),
  ModelUnitId: z.string().optional(),
  RateLimit: RateLimitSchema.optional(),
  Moderation: ModerationSchema.optional(),
  Tags: TagsSchema.optional(),
  ProjectName: z.string().optional(),
  DryRun: z.boolean().optional(),
});
export type CreateEndpointRequest = z.infer<typeof CreateEndpointRequestSchema>;
export const CreateEndpointResultSchema = IdResultSchema;

export const EndpointSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  Description: z.string().optional(),
  ProjectName: z.string().optional(),
  Tags: z.array(TagSchema).optional(),
  ModelReference: ModelReferenceSchema,
  EndpointModelType: z.enum(['FoundationModel', 'CustomModel']).optional(),
  ModelUnitId: z.string().optional(),
  Status: EndpointStatusSchema,
  StatusReason: z.string().optional(),
  RateLimit: RateLimitSchema.optional(),
  Moderation: ModerationSchema.optional(),
  CreateTime: z.string(),
  UpdateTime: z.string(),
  RollingId: z.string().optional(),
  SupportRolling: z.boolean().optional(),
  BatchOnly: z.boolean().optional(),
});
export type Endpoint = z.infer<typeof EndpointSchema>;

export const GetEndpointRequestSchema = IdRequestSchema;
export const GetEndpointResultSchema = EndpointSchema;

export const ListEndpointsRequestSchema = PagingRequestSchema.extend({
  Filter: z
    .object({
      Ids: z.array(z.string()).optional(),
      /** Substring match (inferred; see api-assumptions). */
      Name: z.string().optional(),
      Statuses: z.array(z.string()).optional(),
      CustomModelIds: z.array(z.string()).optional(),
      FoundationModelName: z.string().optional(),
      ModelVersions: z.array(z.string()).optional(),
    })
    .optional(),
});
export type ListEndpointsRequest = z.infer<typeof ListEndpointsRequestSchema>;
export const ListEndpointsResultSchema = pageResultSchema(EndpointSchema);

export const UpdateEndpointRequestSchema = z.object({
  Id: z.string().min(1),
  Name: z.string().min(1).max(64).optional(),
  Description: z.string().max(300).optional(),
  RateLimit: RateLimitSchema.optional(),
  Moderation: ModerationSchema.optional(),
  Tags: TagsSchema.optional(),
});
export type UpdateEndpointRequest = z.infer<typeof UpdateEndpointRequestSchema>;

export const StartEndpointRequestSchema = IdRequestSchema;
export const StopEndpointRequestSchema = IdRequestSchema;
export const DeleteEndpointRequestSchema = IdRequestSchema;

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

// ------------------------------------------------------------------------------------------------ custom models

/** Inferred lifecycle of an imported model (see api-assumptions): Preparing -> Processing -> Ready | Failed. */
export const CustomModelStatusSchema = z.enum(['Preparing', 'Processing', 'Ready', 'Failed', 'Deleting']);
export type CustomModelStatus = z.infer<typeof CustomModelStatusSchema>;

/** Precision scheme the uploaded checkpoint is in; absent for original-precision (BF16/FP16) weights. */
export const QuantizationSchema = z.enum(['W8A8', 'W8A8_FP8', 'W4A8']);
export type Quantization = z.infer<typeof QuantizationSchema>;

/** `{BucketName, ObjectKey}` follows the confirmed convention of CreateBatchInferenceJob; ObjectKey is a prefix. */
export const TosLocationSchema = z.object({ BucketName: z.string().min(3).max(63), ObjectKey: z.string() });
export type TosLocation = z.infer<typeof TosLocationSchema>;

/** Custom model name rule (C-cli): starts with an ASCII letter, then CJK, letters, digits, `_` or `-`. */
export const CUSTOM_MODEL_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_\-\u4e00-\u9fff]*$/;

/** Request shape of UploadModel, the TOS import action. Not public: every field here is an assumption. */
export const UploadModelRequestSchema = z.object({
  Name: z.string().min(1).max(64).regex(CUSTOM_MODEL_NAME_PATTERN),
  Description: z.string().max(300).optional(),
  ProjectName: z.string().optional(),
  FoundationModel: FoundationModelRefSchema,
  TosLocation: TosLocationSchema,
  Quantization: QuantizationSchema.optional(),
  Tags: TagsSchema.optional(),
  DryRun: z.boolean().optional(),
});
export type UploadModelRequest = z.infer<typeof UploadModelRequestSchema>;
export const UploadModelResultSchema = IdResultSchema;

export const CustomModelSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  Description: z.string().optional(),
  ProjectName: z.string().optional(),
  /** `Import` for UploadModel (the doc only shows `Customization`). */
  SourceType: z.string().optional(),
  FoundationModel: FoundationModelRefSchema.optional(),
  CustomizationType: z.string().optional(),
  Status: CustomModelStatusSchema,
  StatusReason: z.string().optional(),
  Quantization: QuantizationSchema.optional(),
  TosLocation: TosLocationSchema.optional(),
  Tags: z.array(TagSchema).optional(),
  CreateTime: z.string(),
  UpdateTime: z.string(),
});
export type CustomModel = z.infer<typeof CustomModelSchema>;

export const GetCustomModelRequestSchema = IdRequestSchema;
/** Flat in `Result`, like GetEndpoint (open question 3 in the reference; see api-assumptions). */
export const GetCustomModelResultSchema = CustomModelSchema;

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
export const ListCustomModelsResultSchema = pageResultSchema(CustomModelSchema);

export const UpdateCustomModelRequestSchema = z.object({
  Id: z.string().min(1),
  Name: z.string().min(1).max(64).regex(CUSTOM_MODEL_NAME_PATTERN).optional(),
  Description: z.string().max(300).optional(),
  DryRun: z.boolean().optional(),
});
export type UpdateCustomModelRequest = z.infer<typeof UpdateCustomModelRequestSchema>;
export const UpdateCustomModelResultSchema = IdResultSchema;

export const DeleteCustomModelRequestSchema = z.object({ Id: z.string().min(1), DryRun: z.boolean().optional() });

// ------------------------------------------------------------------------------------------------------ actions

/** Every action: its request schema and the schema of its `Result`. One table drives client and emulator. */
export const ArkActions = {
  CreateEndpoint: { request: CreateEndpointRequestSchema, result: CreateEndpointResultSchema },
  GetEndpoint: { request: GetEndpointRequestSchema, result: GetEndpointResultSchema },
  ListEndpoints: { request: ListEndpointsRequestSchema, result: ListEndpointsResultSchema },
  UpdateEndpoint: { request: UpdateEndpointRequestSchema, result: EmptyResultSchema },
  DeleteEndpoint: { request: DeleteEndpointRequestSchema, result: EmptyResultSchema },
  StartEndpoint: { request: StartEndpointRequestSchema, result: EmptyResultSchema },
  StopEndpoint: { request: StopEndpointRequestSchema, result: EmptyResultSchema },
  GetApiKey: { request: GetApiKeyRequestSchema, result: GetApiKeyResultSchema },
  UploadModel: { request: UploadModelRequestSchema, result: UploadModelResultSchema },
  GetCustomModel: { request: GetCustomModelRequestSchema, result: GetCustomModelResultSchema },
  ListCustomModels: { request: ListCustomModelsRequestSchema, result: ListCustomModelsResultSchema },
  UpdateCustomModel: { request: UpdateCustomModelRequestSchema, result: UpdateCustomModelResultSchema },
  DeleteCustomModel: { request: DeleteCustomModelRequestSchema, result: EmptyResultSchema },
  ...ArkRollingActions,
} as const;

export type ArkAction = keyof typeof ArkActions;
export type ArkRequest<A extends ArkAction> = z.input<(typeof ArkActions)[A]['request']>;
export type ArkResult<A extends ArkAction> = z.infer<(typeof ArkActions)[A]['result']>;

export function isArkAction(name: string): name is ArkAction {
  return Object.prototype.hasOwnProperty.call(ArkActions, name);
}
