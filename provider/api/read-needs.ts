/**
 * What the client needs from each field of an Ark answer to proceed. This one table decides how tolerant the
 * reader schemas of provider/api/ark.ts are:
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
    ProjectName: 'optional', // absent = `default`
    Tags: 'optional',
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
  CustomModel: {
    Id: 'required',
    Name: 'required', // owner lookup compares exact names
    Description: 'optional',
    ProjectName: 'optional',
    SourceType: 'optional',
    FoundationModel: 'optional', // falls back to the declared base
    CustomizationType: 'optional',
    Status: 'required', // every wait and decision; unknown values are kept and waited through
    StatusReason: 'optional',
    Quantization: 'optional',
    TosLocation: 'optional', // falls back to the declared location
    Tags: 'optional',
    CreateTime: 'required', // output createTime
    UpdateTime: 'required', // output updateTime
  },
} as const satisfies Record<string, Record<string, Need>>;

export type ReadNeeds = typeof READ_NEEDS;
