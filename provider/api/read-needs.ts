/**
 * What the client needs from each field of an Ark answer to proceed. This one table decides how tolerant the
 * reader schemas of provider/api/ark.ts and provider/api/ark-rolling.ts are (built with `readObject`, reader.ts):
 *
 * - `required`: without it the client cannot do its job, so an answer lacking it (or carrying the wrong type)
 *   is an `ArkProtocolError`. Each entry says what needs it.
 * - `optional`: the client copes with its absence (a default, a fallback, or the value is informational).
 *
 * Enum values are never checked on read (see `openEnum`), and unknown fields are always kept. The writer
 * schemas (what ark-local sends) are stricter and unaffected by this table.
 */

export type Need = 'required' | 'optional';

export const READ_NEEDS = {
  Tag: {
    Key: 'required', // owner-tag lookup
    Value: 'optional', // absent = '' (the official models make it optional)
  },
  Page: {
    TotalCount: 'optional', // listAll stops at an empty page when it is absent
    PageNumber: 'optional',
    PageSize: 'optional',
    Items: 'required', // what a list is for
  },
  IdResult: {
    Id: 'required', // the created or updated resource
  },
  ApiKey: {
    ApiKey: 'required', // the key itself
    ExpiredTime: 'required', // when to fetch a new one
  },
  FoundationModelRef: {
    Name: 'required', // identifies the base model (catalogue lookup)
    ModelVersion: 'required',
  },
  ModelReference: {
    CustomModelId: 'optional', // absent for foundation-model endpoints
    FoundationModel: 'optional',
  },
  RateLimit: {
    Rpm: 'optional', // compared with the inputs; absent = differs, so update sends both again
    Tpm: 'optional',
  },
  Moderation: {
    Strategy: 'optional',
  },
  TosLocation: {
    BucketName: 'required', // refresh rebuilds `location` from both
    ObjectKey: 'required',
  },
  Endpoint: {
    Id: 'required',
    Name: 'required', // owner lookup compares exact names
    Description: 'optional',
    ProjectName: 'optional', // absent = not reported: refresh keeps the state's value
    Tags: 'optional', // absent = not reported: refresh keeps the state's value
    ModelReference: 'required', // which model the endpoint serves (adoption, replacement, delete guard)
    EndpointModelType: 'optional',
    ModelUnitId: 'optional',
    Status: 'required', // every wait and decision; unknown values are kept and waited through
    StatusReason: 'optional',
    RateLimit: 'optional', // "may be absent in list results" (reference §2.4)
    Moderation: 'optional',
    CreateTime: 'required', // output createTime
    UpdateTime: 'required', // output updateTime
    RollingId: 'optional',
    SupportRolling: 'optional',
    ScaleTierId: 'optional',
    SupportScaleTier: 'optional',
    BatchOnly: 'optional',
  },
  EndpointListItem: {
    PaymentType: 'optional', // informational: the doctor reports it
    ContentGeneration: 'optional',
  },
  ContentGeneration: {
    ConcurrentRequests: 'optional',
    CreateTaskRpm: 'optional',
  },
  /** GetCustomModel's Result. */
  CustomModel: {
    Id: 'required',
    Name: 'required', // owner lookup compares exact names
    Description: 'optional',
    ProjectName: 'optional', // absent = not reported: refresh keeps the state's value (it would replace)
    SourceType: 'optional',
    FoundationModel: 'optional', // falls back to the declared base
    CustomizationType: 'optional',
    // Not in the 2026 Node SDK's Get shape (F7): when absent, the finder reads it from ListCustomModels.
    Status: 'optional',
    StatusReason: 'optional',
    Quantization: 'optional',
    TosLocation: 'optional', // falls back to the declared location
    Tags: 'optional', // absent = not reported: refresh keeps the state's value (a change would replace)
    CreateTime: 'required', // output createTime
    UpdateTime: 'required', // output updateTime
  },
  /** A ListCustomModels item: as Get, but `Status` is where every SDK puts it. */
  CustomModelItem: {
    Id: 'required',
    Name: 'required', // owner lookup compares exact names
    Description: 'optional',
    ProjectName: 'optional',
    SourceType: 'optional',
    FoundationModel: 'optional',
    CustomizationType: 'optional',
    Status: 'required', // every wait and decision (the Get fallback reads it here); unknown values are waited through
    StatusReason: 'optional',
    Quantization: 'optional',
    TosLocation: 'optional',
    Tags: 'optional',
    CreateTime: 'required',
    UpdateTime: 'required',
  },
  RollingModel: {
    Name: 'optional', // foundation models are named {Name, ModelVersion} [3P]; nothing here rolls them
    ModelVersion: 'optional',
    CustomModelId: 'optional', // a custom model [I]; absent = the rollout's model is not one the client can name
  },
  RollingStrategy: {
    Step: 'optional', // progress lines only (points per step)
    WaitDuration: 'optional', // progress lines only (minutes per step)
  },
  GetRollingResult: {
    RollingInfo: 'required', // the rollout asked for
  },
  RollingEchoResult: {
    Id: 'optional', // Rollback/Cancel echo the rollout's id [3P]; the client knows it already
  },
  // The 2026 names first, then the older ones the reader still understands (ark-rolling.ts `rollingView`).
  // Only Id and Status are required: every other field has a fallback, so no one name decides whether an answer
  // parses (a rollout whose target cannot be read is never resumed, only reported).
  RollingInfo: {
    Id: 'required', // the rollout resumed, waited on, cancelled
    EndpointId: 'optional', // the controller asks by rollout id and knows its endpoint
    Status: 'required', // every wait and decision; unknown values are kept and waited through
    RollingIn: 'optional', // the target: resume a rollout to the same model, refuse one to another
    RollingOut: 'optional', // the failure message falls back to the endpoint's model
    RollingGray: 'optional', // completion (100 + the endpoint serving the target) and progress lines
    RollingStrategy: 'optional',
    Description: 'optional',
    StatusReason: 'optional', // the failure message falls back to the wait's own error
    CreateTime: 'optional',
    UpdateTime: 'optional',
    Progress: 'optional', // older name of RollingGray
    FromModelReference: 'optional', // older name of RollingOut
    ToModelReference: 'optional', // older name of RollingIn
  },
} as const satisfies Record<string, Record<string, Need>>;

export type ReadNeeds = typeof READ_NEEDS;
