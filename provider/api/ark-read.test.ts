import { parseResponse } from '../clients/ark/client';
import { ArkProtocolError } from '../clients/ark/errors';
import {
  ArkActions,
  CreateEndpointRequestSchema,
  CustomModelReadSchema,
  CustomModelSchema,
  EndpointReadSchema,
  EndpointSchema,
  UploadModelRequestSchema,
  type ArkAction,
} from './ark';
import { READ_NEEDS } from './read-needs';

const META = { RequestId: '20260101000000ABCDEF0123456789AB', Action: 'GetEndpoint', Version: '2024-01-01', Service: 'ark', Region: 'cn-beijing' };

const endpoint = {
  Id: 'ep-20260101000000-abcde',
  Name: 'chat',
  ModelReference: { CustomModelId: 'cm-20260101000000-abcde' },
  Status: 'Running',
  CreateTime: '2026-01-01T00:00:00Z',
  UpdateTime: '2026-01-01T00:00:00Z',
};

function answer(action: ArkAction, body: unknown) {
  return parseResponse(action, { status: 200, headers: {}, body: JSON.stringify(body) });
}

describe('tolerant reader', () => {
  it('accepts an endpoint status Ark added later and keeps it raw', () => {
    const result = answer('GetEndpoint', { ResponseMetadata: META, Result: { ...endpoint, Status: 'Upgrading' } });
    expect(result).toMatchObject({ Status: 'Upgrading' });
  });

  it('accepts unknown custom model Status and Quantization values', () => {
    const model = { Id: 'cm-1', Name: 'm', Status: 'Exporting', Quantization: 'int8', CreateTime: 't', UpdateTime: 't' };
    expect(answer('GetCustomModel', { ResponseMetadata: META, Result: model })).toMatchObject({ Status: 'Exporting', Quantization: 'int8' });
  });

  it('accepts absent optional sub-fields: RateLimit.Tpm, Tag.Value, Moderation.Strategy', () => {
    const result = answer('GetEndpoint', {
      ResponseMetadata: META,
      Result: { ...endpoint, RateLimit: { Rpm: 10 }, Tags: [{ Key: 'team' }], Moderation: { Strategy: 'Strict' } },
    });
    expect(result).toMatchObject({ RateLimit: { Rpm: 10 }, Tags: [{ Key: 'team' }], Moderation: { Strategy: 'Strict' } });
  });

  it('keeps fields it does not know (drift a later version may use)', () => {
    const result = answer('GetEndpoint', { ResponseMetadata: META, Result: { ...endpoint, ScaleTierId: 'st-1', Future: { A: 1 } } });
    expect(result).toMatchObject({ ScaleTierId: 'st-1', Future: { A: 1 } });
  });

  it('accepts a list without TotalCount, PageNumber and PageSize', () => {
    expect(answer('ListEndpoints', { ResponseMetadata: META, Result: { Items: [endpoint] } })).toEqual({ Items: [endpoint] });
  });

  it.each(['DeleteCustomModel', 'DeleteEndpoint', 'UpdateEndpoint', 'StartEndpoint', 'StopEndpoint'] as const)(
    'accepts %s without Result (the action documents no output)',
    (action) => {
      expect(answer(action, { ResponseMetadata: { ...META, Action: action } })).toEqual({});
    },
  );

  it('accepts GetCustomModel without Status (the 2026 Node SDK shape, F7) and refuses a List item without it', () => {
    const model = { Id: 'cm-1', Name: 'm', CreateTime: 't', UpdateTime: 't', FoundationModel: { Name: 'qwen3-8b', ModelVersion: '20250429', ConfigurationId: 'c' } };
    expect(answer('GetCustomModel', { ResponseMetadata: META, Result: model })).toEqual(model);
    const page = { Items: [model] };
    expect(() => answer('ListCustomModels', { ResponseMetadata: META, Result: page })).toThrow(/Items\.0\.Status:/);
    expect(answer('ListCustomModels', { ResponseMetadata: META, Result: { Items: [{ ...model, Status: 'Ready' }] } })).toMatchObject({ Items: [{ Status: 'Ready' }] });
  });

  it('still refuses an answer without Result for an action that has output', () => {
    expect(() => answer('GetEndpoint', { ResponseMetadata: META })).toThrow(ArkProtocolError);
  });

  it.each([
    ['Status', { ...endpoint, Status: undefined }],
    ['ModelReference', { ...endpoint, ModelReference: undefined }],
    ['Id', { ...endpoint, Id: 42 }],
  ])('refuses an endpoint without a field the client needs (%s), naming it', (field, result) => {
    expect(() => answer('GetEndpoint', { ResponseMetadata: META, Result: result })).toThrow(new RegExp(`${field}:`));
  });

  it('accepts ResponseMetadata with fields missing (none is needed to proceed)', () => {
    expect(answer('GetEndpoint', { ResponseMetadata: {}, Result: endpoint })).toMatchObject({ Id: endpoint.Id });
  });
});

describe('the needs table', () => {
  it('covers every field the writer sends, for endpoints and custom models', () => {
    expect(Object.keys(READ_NEEDS.Endpoint).sort()).toEqual(Object.keys(EndpointSchema.shape).sort());
    expect(Object.keys(EndpointReadSchema.shape).sort()).toEqual(Object.keys(EndpointSchema.shape).sort());
    expect(Object.keys(READ_NEEDS.CustomModel).sort()).toEqual(Object.keys(CustomModelSchema.shape).sort());
    expect(Object.keys(CustomModelReadSchema.shape).sort()).toEqual(Object.keys(CustomModelSchema.shape).sort());
    expect(Object.keys(READ_NEEDS.CustomModelItem).sort()).toEqual(Object.keys(CustomModelSchema.shape).sort());
  });

  it('writes GetCustomModel with Status optional (left out by default) and List items with it required', () => {
    const model = { Id: 'cm-1', Name: 'm', CreateTime: 't', UpdateTime: 't' };
    expect(ArkActions.GetCustomModel.result.safeParse(model).success).toBe(true);
    expect(ArkActions.ListCustomModels.result.safeParse({ TotalCount: 1, PageNumber: 1, PageSize: 10, Items: [model] }).success).toBe(false);
  });

  it('makes every written result readable', () => {
    const written = { ...endpoint, Description: '', Tags: [{ Key: 'a', Value: 'b' }], RateLimit: { Rpm: 1, Tpm: 2 }, SupportScaleTier: false };
    expect(ArkActions.GetEndpoint.result.parse(written)).toEqual(written);
    expect(ArkActions.GetEndpoint.read.parse(written)).toEqual(written);
  });
});

describe('strict writer, documented limits only', () => {
  const request = { Name: 'x'.repeat(200), ModelReference: { CustomModelId: 'cm-1' } };

  it('sends what no source limits: long names and descriptions, many long tags, any moderation strategy', () => {
    const tags = Array.from({ length: 80 }, (_, i) => ({ Key: `k${i}-${'k'.repeat(200)}`, Value: 'v'.repeat(500) }));
    const parsed = CreateEndpointRequestSchema.safeParse({ ...request, Description: 'd'.repeat(1000), Tags: tags, Moderation: { Strategy: 'Strict' } });
    expect(parsed.success).toBe(true);
  });

  it('keeps the documented ones: a tag key, int32 rate limits, the custom model name rule and 300-character description', () => {
    expect(CreateEndpointRequestSchema.safeParse({ ...request, Tags: [{ Key: '', Value: 'v' }] }).success).toBe(false);
    expect(CreateEndpointRequestSchema.safeParse({ ...request, RateLimit: { Rpm: 2 ** 31, Tpm: 1 } }).success).toBe(false);
    expect(CreateEndpointRequestSchema.safeParse({ ...request, RateLimit: { Rpm: 1 } }).success).toBe(false);
    const upload = {
      Name: 'my-model',
      FoundationModel: { Name: 'qwen2-5-7b', ModelVersion: '20240919' },
      TosLocation: { BucketName: 'bucket', ObjectKey: 'p/' },
    };
    expect(UploadModelRequestSchema.safeParse(upload).success).toBe(true);
    // A model card by id [I: how ark-cli's fm- ids reach the wire is not published].
    expect(UploadModelRequestSchema.safeParse({ ...upload, FoundationModel: { Id: 'fm-20250429-abc' } }).success).toBe(true);
    expect(UploadModelRequestSchema.safeParse({ ...upload, FoundationModel: { Id: 'qwen3-8b' } }).success).toBe(false);
    expect(UploadModelRequestSchema.safeParse({ ...upload, Name: '1model' }).success).toBe(false);
    expect(UploadModelRequestSchema.safeParse({ ...upload, Description: 'd'.repeat(301) }).success).toBe(false);
    expect(UploadModelRequestSchema.safeParse({ ...upload, TosLocation: { BucketName: 'ab', ObjectKey: '' } }).success).toBe(false);
  });

  it('keeps Filter.EndpointModelTypes in ListEndpoints requests', () => {
    const parsed = ArkActions.ListEndpoints.request.parse({ Filter: { EndpointModelTypes: ['CustomModel'] } });
    expect(parsed).toEqual({ Filter: { EndpointModelTypes: ['CustomModel'] } });
  });
});
