import { ENDPOINT_ID_PATTERN } from '../../provider/api/ids';
import { REQUEST_ID_PATTERN } from '../../provider/api/envelope';
import type { Endpoint } from '../../provider/api/ark';
import { arkService, startArkHarness, type ArkHarness } from './emulator-ark-harness';

// The Ark control plane's endpoint actions, signatures and validation, through the official @volcengine/openapi client.

const FM = { FoundationModel: { Name: 'qwen2-5-0-5b', ModelVersion: '240919' } };

let h: ArkHarness;
beforeAll(async () => {
  h = await startArkHarness({ transitions: { mode: 'after-reads', reads: 2 } });
});
afterAll(() => h.close());
beforeEach(() => h.ark.admin.reset());

async function status(id: string): Promise<string> {
  return (await h.ok('GetEndpoint', { Id: id })).Status;
}

describe('envelope', () => {
  it('answers ResponseMetadata + Result with a real-format RequestId and endpoint id', async () => {
    const { status: http, body } = await h.call('CreateEndpoint', { Name: 'a', ModelReference: FM });
    expect(http).toBe(200);
    expect(body.ResponseMetadata).toEqual({ RequestId: expect.stringMatching(REQUEST_ID_PATTERN), Action: 'CreateEndpoint', Version: '2024-01-01', Service: 'ark', Region: 'cn-beijing' });
    expect((body.Result as { Id: string }).Id).toMatch(ENDPOINT_ID_PATTERN);
  });

  it('accepts any Host header (ark.* or open.* gateway names)', async () => {
    const r = await h.raw('ListEndpoints', {}, (req) => (req.headers.Host = 'open.volcengineapi.com'));
    expect(r.status).toBe(200);
  });
});

describe('endpoint lifecycle (after-reads:2)', () => {
  it('Scheduling -> Running, Stop, Start, Delete -> Deleting -> gone', async () => {
    const mu = await h.ark.admin.createModelUnit({ name: 'unit' });
    const { Id } = await h.ok('CreateEndpoint', { Name: 'bot', ModelReference: FM, ModelUnitId: mu.Id, RateLimit: { Rpm: 60, Tpm: 1000 }, Tags: [{ Key: 'team', Value: 'a' }] });
    expect([await status(Id), await status(Id), await status(Id)]).toEqual(['Scheduling', 'Scheduling', 'Running']);

    const ep = await h.ok('GetEndpoint', { Id });
    expect(ep).toMatchObject({ Id, Name: 'bot', ModelUnitId: mu.Id, EndpointModelType: 'FoundationModel', RateLimit: { Rpm: 60, Tpm: 1000 }, Tags: [{ Key: 'team', Value: 'a' }], ProjectName: 'default' });
    expect(ep.CreateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    expect(await h.fail('DeleteEndpoint', { Id })).toMatchObject({ status: 403, code: 'OperationDenied.EndpointStatus' });
    expect(await h.fail('StartEndpoint', { Id })).toMatchObject({ status: 403, code: 'OperationDenied.EndpointStatus' });
    expect(await h.ok('StopEndpoint', { Id })).toEqual({});
    expect(await status(Id)).toBe('Stopped');
    expect(await h.fail('StopEndpoint', { Id })).toMatchObject({ status: 403, code: 'OperationDenied.EndpointStatus' });

    expect(await h.ok('StartEndpoint', { Id })).toEqual({});
    expect([await status(Id), await status(Id), await status(Id)]).toEqual(['Scheduling', 'Scheduling', 'Running']);

    await h.ok('UpdateEndpoint', { Id, DryRun: false, Description: 'v2', RateLimit: { Rpm: 10, Tpm: 20 }, Tags: [{ Key: 'team', Value: 'b' }] });
    expect(await h.ok('GetEndpoint', { Id })).toMatchObject({ Description: 'v2', RateLimit: { Rpm: 10, Tpm: 20 }, Tags: [{ Key: 'team', Value: 'b' }] });

    await h.ok('StopEndpoint', { Id });
    expect(await h.ok('DeleteEndpoint', { Id })).toEqual({});
    expect([await status(Id), await status(Id)]).toEqual(['Deleting', 'Deleting']);
    expect(await h.fail('GetEndpoint', { Id })).toMatchObject({ status: 404, code: 'NotFound.Endpoint' });
    expect((await h.ark.admin.listModelUnits())[0]).toMatchObject({ UsedSlots: 0 });
  });

  it('a model unit created with failWith leaves its endpoints Abnormal with that StatusReason; admin failEndpoint too', async () => {
    const broken = await h.ark.admin.createModelUnit({ failWith: 'ImagePullBackOff' });
    const { Id } = await h.ok('CreateEndpoint', { Name: 'x', ModelReference: FM, ModelUnitId: broken.Id });
    await status(Id);
    await status(Id);
    expect(await h.ok('GetEndpoint', { Id })).toMatchObject({ Status: 'Abnormal', StatusReason: 'ImagePullBackOff' });
    expect(await h.ok('DeleteEndpoint', { Id })).toEqual({});

    const other = await h.ok('CreateEndpoint', { Name: 'y', ModelReference: FM });
    await h.ark.admin.failEndpoint(other.Id, 'OOMKilled');
    expect(await h.ok('GetEndpoint', { Id: other.Id })).toMatchObject({ Status: 'Abnormal', StatusReason: 'OOMKilled' });
    await h.ok('StartEndpoint', { Id: other.Id });
    await status(other.Id);
    await status(other.Id);
    expect(await h.ok('GetEndpoint', { Id: other.Id })).toMatchObject({ Status: 'Running' });
    expect((await h.ok('GetEndpoint', { Id: other.Id })).StatusReason).toBeUndefined();
  });

  it('a model unit hosts one endpoint unless created with more (the record shows no unit with two)', async () => {
    const unit = await h.ark.admin.createModelUnit({});
    expect(unit).toMatchObject({ Slots: 1 });
    await h.ok('CreateEndpoint', { Name: 'one', ModelReference: FM, ModelUnitId: unit.Id });
    expect(await h.fail('CreateEndpoint', { Name: 'two', ModelReference: FM, ModelUnitId: unit.Id })).toMatchObject({ status: 403, code: 'OperationDenied.ModelUnitInsufficient' });
    const roomy = await h.ark.admin.createModelUnit({ slots: 2 });
    await h.ok('CreateEndpoint', { Name: 'one', ModelReference: FM, ModelUnitId: roomy.Id });
    await h.ok('CreateEndpoint', { Name: 'two', ModelReference: FM, ModelUnitId: roomy.Id });
  });

  it('a server started with compat.unitSlots gives its units that many slots (the permissive reading, asked for)', async () => {
    const lenient = await startArkHarness({ compat: { unitSlots: 3 } });
    try {
      expect(await lenient.ark.admin.createModelUnit({})).toMatchObject({ Slots: 3 });
    } finally {
      await lenient.close();
    }
  });

  it('a reclaimed unit is gone: its endpoints go Abnormal for good, a create on it is NotFound.ModelUnit, delete works', async () => {
    const unit = await h.ark.admin.createModelUnit({});
    const { Id } = await h.ok('CreateEndpoint', { Name: 'bot', ModelReference: FM, ModelUnitId: unit.Id });
    await status(Id);
    expect(await h.ark.admin.reclaimModelUnit(unit.Id, 'no traffic for 30 days')).toEqual({ Id: unit.Id, EndpointIds: [Id] });
    expect(await h.ark.admin.listModelUnits()).toEqual([]);
    expect(await h.ok('GetEndpoint', { Id })).toMatchObject({
      Status: 'Abnormal',
      StatusReason: `ModelUnitReclaimed: the model unit ${unit.Id} was reclaimed (no traffic for 30 days); this endpoint cannot serve again, create a new one on another unit.`,
    });
    expect(await h.fail('StartEndpoint', { Id })).toMatchObject({ status: 404, code: 'NotFound.ModelUnit' });
    expect(await h.fail('CreateEndpoint', { Name: 'again', ModelReference: FM, ModelUnitId: unit.Id })).toMatchObject({ status: 404, code: 'NotFound.ModelUnit' });
    expect(await h.fail('CreateEndpoint', { Name: 'again', ModelReference: FM, ModelUnitId: unit.Id, DryRun: true })).toMatchObject({ status: 404, code: 'NotFound.ModelUnit' });
    expect(await h.ok('DeleteEndpoint', { Id })).toEqual({});
    await expect(h.ark.admin.reclaimModelUnit(unit.Id)).rejects.toMatchObject({ status: 404, code: 'NotFound.ModelUnit' });
  });

  it('a model unit has a fixed number of slots', async () => {
    const mu = await h.ark.admin.createModelUnit({ slots: 1 });
    await h.ok('CreateEndpoint', { Name: 'one', ModelReference: FM, ModelUnitId: mu.Id });
    const full = await h.fail('CreateEndpoint', { Name: 'two', ModelReference: FM, ModelUnitId: mu.Id });
    expect(full).toMatchObject({ status: 403, code: 'OperationDenied.ModelUnitInsufficient' });
    expect(full.message).toContain(mu.Id);
    expect(await h.fail('CreateEndpoint', { Name: 'x', ModelReference: FM, ModelUnitId: 'mu-20240101000000-zzzzz' })).toMatchObject({ status: 404, code: 'NotFound.ModelUnit' });
    expect((await h.ark.admin.state()).endpoints).toHaveLength(1);
  });
});

describe('missing resources and invalid states', () => {
  it.each(['GetEndpoint', 'UpdateEndpoint', 'StartEndpoint', 'StopEndpoint', 'DeleteEndpoint'])('%s on an unknown id -> 404 NotFound.Endpoint', async (action) => {
    const e = await h.fail(action, { Id: 'ep-20240101000000-abcde', ...(action === 'UpdateEndpoint' ? { DryRun: false } : {}) });
    expect(e).toMatchObject({ status: 404, code: 'NotFound.Endpoint' });
    expect(e.message).toContain('ep-20240101000000-abcde');
  });

  it('an endpoint on a custom model that does not exist -> 404 NotFound.CustomModel', async () => {
    const mu = await h.ark.admin.createModelUnit({});
    expect(await h.fail('CreateEndpoint', { Name: 'x', ModelReference: { CustomModelId: 'cm-20240101000000-abcde' }, ModelUnitId: mu.Id })).toMatchObject({
      status: 404,
      code: 'NotFound.CustomModel',
    });
  });

  it('DryRun validates and creates nothing', async () => {
    expect(await h.fail('CreateEndpoint', { Name: 'x', ModelReference: FM, DryRun: true })).toMatchObject({ status: 400, code: 'DryRunOperation' });
    expect((await h.ark.admin.state()).endpoints).toHaveLength(0);
  });
});

describe('invalid input', () => {
  it.each<[string, unknown, string]>([
    ['no Name', { ModelReference: FM }, 'MissingParameter.Name'],
    ['Name of the wrong type', { Name: 7, ModelReference: FM }, 'InvalidParameter.Name'],
    ['no ModelReference', { Name: 'x' }, 'MissingParameter.ModelReference'],
    ['both model references', { Name: 'x', ModelReference: { ...FM, CustomModelId: 'cm-20240101000000-abcde' } }, 'InvalidParameter.ModelReference'],
    ['neither model reference', { Name: 'x', ModelReference: {} }, 'InvalidParameter.ModelReference'],
    ['fractional Rpm (int32)', { Name: 'x', ModelReference: FM, RateLimit: { Rpm: 1.5, Tpm: 1 } }, 'InvalidParameter.RateLimit.Rpm'],
    ['Rpm without Tpm (sent together, C-cli)', { Name: 'x', ModelReference: FM, RateLimit: { Rpm: 1 } }, 'MissingParameter.RateLimit.Tpm'],
    ['empty moderation strategy', { Name: 'x', ModelReference: FM, Moderation: { Strategy: '' } }, 'InvalidParameter.Moderation.Strategy'],
    ['tag without key', { Name: 'x', ModelReference: FM, Tags: [{ Value: 'v' }] }, 'MissingParameter.Tags.0.Key'],
    ['duplicate tag keys', { Name: 'x', ModelReference: FM, Tags: [{ Key: 'k', Value: '1' }, { Key: 'k', Value: '2' }] }, 'Duplicate.Tags.Key'],
  ])('CreateEndpoint with %s', async (_name, body, code) => {
    const e = await h.fail('CreateEndpoint', body);
    expect(e).toMatchObject({ status: 400, code });
    expect((await h.ark.admin.state()).endpoints).toHaveLength(0);
  });

  it('PageSize out of 1..100 -> 400 InvalidParameter.PageSize', async () => {
    expect(await h.fail('ListEndpoints', { PageSize: 101 })).toMatchObject({ status: 400, code: 'InvalidParameter.PageSize' });
    expect(await h.fail('ListEndpoints', { PageSize: 0 })).toMatchObject({ status: 400, code: 'InvalidParameter.PageSize' });
  });

  it.each(['{"Name":', '[1,2]', '"text"', 'null'])('body %s -> 400 InvalidParameter.Body', async (body) => {
    const r = await h.raw('CreateEndpoint', body);
    expect(r.status).toBe(400);
    expect(r.body.ResponseMetadata.Error?.Code).toBe('InvalidParameter.Body');
    expect(r.body.ResponseMetadata.Error?.Message).toMatch(/expected a JSON object/);
  });

  it('unknown Action or Version -> 404 InvalidActionOrVersion with CodeN 100008', async () => {
    expect(await h.fail('CreateBanana', {})).toMatchObject({ status: 404, code: 'InvalidActionOrVersion', codeN: 100008 });
    const old = await h.service.createJSONAPI('GetEndpoint', { Version: '2018-01-01' })({ Id: 'x' } as never);
    expect((old as unknown as { ResponseMetadata: { Error: { Code: string } } }).ResponseMetadata.Error.Code).toBe('InvalidActionOrVersion');
  });

  it('a body over 1 MiB is refused with 413 and the server keeps serving', async () => {
    const r = await h.raw('CreateEndpoint', { Name: 'x'.repeat(2 * 1024 * 1024), ModelReference: FM });
    expect(r.status).toBe(413);
    expect(r.body.ResponseMetadata.Error?.Code).toBe('InvalidParameter.Body');
    expect(await h.ok('ListEndpoints', {})).toMatchObject({ TotalCount: 0 });
  });

  it('headers over 64 KiB get 431 and the server keeps serving', async () => {
    const response = await fetch(`${h.ark.url}/?Action=ListEndpoints&Version=2024-01-01`, { method: 'POST', headers: { 'x-big': 'y'.repeat(80 * 1024) }, body: '{}' }).catch((e: Error) => e);
    expect(response instanceof Error ? response.message : response.status).toBe(431);
    expect(await h.ok('ListEndpoints', {})).toMatchObject({ TotalCount: 0 });
  });
});

describe('signature verification: each failure gets the gateway code and changes nothing', () => {
  const create = { Name: 'sig', ModelReference: FM };

  it.each<[string, (r: { headers: Record<string, string>; body: string; query: string }) => void, number, string]>([
    ['missing Authorization', (r) => delete r.headers.Authorization, 401, 'MissingAuthenticationToken'],
    ['malformed Authorization', (r) => (r.headers.Authorization = 'Bearer abc'), 400, 'InvalidAuthorization'],
    ['malformed Credential', (r) => (r.headers.Authorization = r.headers.Authorization!.replace(/Credential=[^,]+/, 'Credential=AKLTarklocal/20240101')), 400, 'InvalidCredential'],
    ['unknown access key', (r) => (r.headers.Authorization = r.headers.Authorization!.replace(/Credential=[^/]+/, 'Credential=AKLTnobody')), 401, 'InvalidAccessKey'],
    ['tampered body', (r) => (r.body = r.body.replace('sig', 'gis')), 401, 'SignatureDoesNotMatch'],
    ['tampered query', (r) => (r.query = r.query.replace('Version', 'Extra=1&Version')), 401, 'SignatureDoesNotMatch'],
    ['missing X-Date', (r) => delete r.headers['X-Date'], 400, 'MissingRequestInfo'],
  ])('%s', async (_name, tamper, httpStatus, code) => {
    const r = await h.raw('CreateEndpoint', create, tamper);
    expect(r.status).toBe(httpStatus);
    expect(r.body.ResponseMetadata.Error?.Code).toBe(code);
    expect(r.body).not.toHaveProperty('Result');
    expect((await h.ark.admin.state()).endpoints).toHaveLength(0);
  });

  it('wrong secret (official client) -> 401 SignatureDoesNotMatch CodeN 100010', async () => {
    const wrong = arkService(h.ark, 'not-the-secret');
    const body = (await wrong.createJSONAPI('CreateEndpoint')(create as never)) as unknown as { ResponseMetadata: { Error: { Code: string; CodeN: number } } };
    expect(body.ResponseMetadata.Error).toMatchObject({ Code: 'SignatureDoesNotMatch', CodeN: 100010 });
    expect((await h.ark.admin.state()).endpoints).toHaveLength(0);
  });

  it('a request signed 16 minutes ago -> 403 InvalidTimestamp', async () => {
    const r = await h.raw('CreateEndpoint', create, undefined, new Date(Date.now() - 16 * 60 * 1000));
    expect(r.status).toBe(403);
    expect(r.body.ResponseMetadata.Error?.Code).toBe('InvalidTimestamp');
    expect((await h.ark.admin.state()).endpoints).toHaveLength(0);
  });
});

describe('ListEndpoints: filters, tag filters, sorting, paging', () => {
  let ids: Record<string, string>;
  beforeEach(async () => {
    await h.ark.admin.setTransitions({ mode: 'immediate' });
    const mu = await h.ark.admin.createModelUnit({ slots: 10 });
    ids = {};
    for (const [name, team] of [['alpha-chat', 'a'], ['beta-chat', 'b'], ['gamma', 'a'], ['delta', 'c']] as const) {
      ids[name] = (await h.ok('CreateEndpoint', { Name: name, ModelReference: FM, ModelUnitId: mu.Id, Tags: [{ Key: 'team', Value: team }] })).Id;
    }
    await h.ok('StopEndpoint', { Id: ids.gamma! });
  });
  afterEach(() => h.ark.admin.setTransitions({ mode: 'after-reads', reads: 2 }));

  const names = (items: Endpoint[]) => items.map((e) => e.Name).sort();

  it('filters by Ids, Name substring, Statuses and TagFilters', async () => {
    expect(names((await h.ok('ListEndpoints', { Filter: { Ids: [ids.delta!, ids.gamma!] } })).Items)).toEqual(['delta', 'gamma']);
    expect(names((await h.ok('ListEndpoints', { Filter: { Name: 'chat' } })).Items)).toEqual(['alpha-chat', 'beta-chat']);
    expect(names((await h.ok('ListEndpoints', { Filter: { Statuses: ['Stopped'] } })).Items)).toEqual(['gamma']);
    expect(names((await h.ok('ListEndpoints', { TagFilters: [{ Key: 'team', Values: ['a', 'c'] }] })).Items)).toEqual(['alpha-chat', 'delta', 'gamma']);
    expect(names((await h.ok('ListEndpoints', { TagFilters: [{ Key: 'team' }] })).Items)).toHaveLength(4);
    expect((await h.ok('ListEndpoints', { TagFilters: [{ Key: 'owner' }] })).TotalCount).toBe(0);
    expect((await h.ok('ListEndpoints', { Filter: { CustomModelIds: ['cm-20240101000000-abcde'] } })).TotalCount).toBe(0);
  });

  it('pages with PageNumber/PageSize and TotalCount, in the requested order', async () => {
    const page1 = await h.ok('ListEndpoints', { PageSize: 3, PageNumber: 1, SortBy: 'CreateTime', SortOrder: 'Asc' });
    const page2 = await h.ok('ListEndpoints', { PageSize: 3, PageNumber: 2, SortBy: 'CreateTime', SortOrder: 'Asc' });
    expect(page1).toMatchObject({ TotalCount: 4, PageNumber: 1, PageSize: 3 });
    expect(page1.Items).toHaveLength(3);
    expect(page2.Items).toHaveLength(1);
    const all = [...page1.Items, ...page2.Items].map((e) => e.Id);
    expect(new Set(all).size).toBe(4);
    const desc = (await h.ok('ListEndpoints', { PageSize: 100, SortOrder: 'Desc' })).Items.map((e) => e.Id);
    expect(desc).toEqual([...all].reverse());
    expect((await h.ok('ListEndpoints', { PageNumber: 9 })).Items).toEqual([]);
    expect((await h.ok('ListEndpoints', {})).PageSize).toBe(10);
  });
});
