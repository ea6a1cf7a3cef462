import { ARK_LOCAL_PAYMENT_TYPES } from '../../emulator/ark/endpoints';
import { startArkHarness, type ArkHarness } from './emulator-ark-harness';

// The endpoint fields of the newer official SDK (F10, F11) as ark-local serves them: UpdateEndpoint's required
// DryRun, ListEndpoints items (PaymentType; no Moderation, BatchOnly or scale tier) and the new list filters.

const QWEN = { FoundationModel: { Name: 'qwen3-8b', ModelVersion: '20250429' } };
const GLM = { FoundationModel: { Name: 'glm-4-5-air', ModelVersion: '20250728' } };

let h: ArkHarness;
beforeAll(async () => {
  h = await startArkHarness();
});
afterAll(() => h.close());
beforeEach(() => h.ark.admin.reset());

type Item = Record<string, unknown> & { Id: string };
async function listed(filter: Record<string, unknown>): Promise<string[]> {
  return ((await h.ok('ListEndpoints', { Filter: filter })).Items as Item[]).map((i) => i.Id).sort();
}

describe('UpdateEndpoint DryRun', () => {
  it('is required, and DryRun: true checks without changing anything', async () => {
    const { Id } = await h.ok('CreateEndpoint', { Name: 'bot', ModelReference: QWEN });
    expect(await h.fail('UpdateEndpoint', { Id, Description: 'v2' })).toMatchObject({ status: 400, code: 'MissingParameter.DryRun' });
    expect(await h.fail('UpdateEndpoint', { Id, DryRun: true, Description: 'v2' })).toMatchObject({ code: 'DryRunOperation' });
    expect((await h.ok('GetEndpoint', { Id })).Description).toBe('');
    expect(await h.ok('UpdateEndpoint', { Id, DryRun: false, Description: 'v2' })).toEqual({});
    expect((await h.ok('GetEndpoint', { Id })).Description).toBe('v2');
  });
});

describe('ListEndpoints items and filters', () => {
  it('items carry PaymentType and only the fields the SDKs list for an item; GetEndpoint keeps Moderation', async () => {
    const mu = await h.ark.admin.createModelUnit({ name: 'unit' });
    const onUnit = await h.ok('CreateEndpoint', { Name: 'unit-bot', ModelReference: QWEN, ModelUnitId: mu.Id, Moderation: { Strategy: 'Basic' } });
    const perToken = await h.ok('CreateEndpoint', { Name: 'token-bot', ModelReference: GLM });
    const items = (await h.ok('ListEndpoints', {})).Items as Item[];
    const byId = Object.fromEntries(items.map((i) => [i.Id, i]));
    expect(byId[onUnit.Id]).toMatchObject({ PaymentType: ARK_LOCAL_PAYMENT_TYPES.modelUnit, ModelUnitId: mu.Id });
    expect(byId[perToken.Id]).toMatchObject({ PaymentType: ARK_LOCAL_PAYMENT_TYPES.token });
    for (const item of items) for (const field of ['Moderation', 'BatchOnly', 'ScaleTierId', 'SupportScaleTier']) expect(item).not.toHaveProperty(field);
    expect(await h.ok('GetEndpoint', { Id: onUnit.Id })).toMatchObject({ Moderation: { Strategy: 'Basic' }, BatchOnly: false });
    expect(await h.ok('GetEndpoint', { Id: onUnit.Id })).not.toHaveProperty('PaymentType');
  });

  it('filters by PaymentType, ModelOrServiceName, Domain and ServiceInfoIds', async () => {
    const mu = await h.ark.admin.createModelUnit({ name: 'unit' });
    const qwen = (await h.ok('CreateEndpoint', { Name: 'a', ModelReference: QWEN, ModelUnitId: mu.Id })).Id;
    const glm = (await h.ok('CreateEndpoint', { Name: 'b', ModelReference: GLM })).Id;
    expect(await listed({ PaymentType: ARK_LOCAL_PAYMENT_TYPES.modelUnit })).toEqual([qwen]);
    expect(await listed({ PaymentType: ARK_LOCAL_PAYMENT_TYPES.token })).toEqual([glm]);
    expect(await listed({ ModelOrServiceName: 'qwen3' })).toEqual([qwen]);
    expect(await listed({ ModelOrServiceName: 'glm-4' })).toEqual([glm]);
    expect(await listed({ Domain: 'anything' })).toEqual([]);
    expect(await listed({ ServiceInfoIds: ['si-1'] })).toEqual([]);
    expect(await listed({ ServiceInfoIds: [] })).toEqual([glm, qwen].sort());
  });
});
