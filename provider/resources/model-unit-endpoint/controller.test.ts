import { UNKNOWN, type ControllerContext } from '../controller';
import { modelUnitEndpointController as controller, replaceOnChanges, updatePatch } from './controller';
import type { Inputs, Outputs } from './schema';

// check and diff make no API calls (but the diff of a new model with modelUpdate: rolling, which reads the
// endpoint's SupportRolling: tests/integration/endpoint-rolling.test.ts); a context whose settings throw proves it.
const ctx: ControllerContext = {
  settings: () => {
    throw new Error('check/diff must not call the API');
  },
  log: { info: () => undefined, warn: () => undefined },
};

const base: Inputs = {
  name: 'support-bot',
  customModelId: 'cm-20240101000000-abcde',
  modelUnitId: 'mu-20240101000000-fghij',
  rateLimit: { rpm: 600, tpm: 200000 },
  tags: { team: 'ml' },
  owner: 'proj/dev/chat',
};
const STANDBY = 'mu-20240303000000-stndb';
const state: Outputs = { ...base, status: 'Running', chatBaseUrl: 'http://x/api/v3', createTime: 't', updateTime: 't' };

describe('ModelUnitEndpoint diff', () => {
  it.each<[string, Partial<Inputs>, Partial<Outputs>, { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }]>([
    ['nothing changed', {}, {}, { changes: false, replaces: [], deleteBeforeReplace: false }],
    ['a new name updates in place', { name: 'other' }, {}, { changes: true, replaces: [], deleteBeforeReplace: false }],
    ['a new rate limit updates in place', { rateLimit: { rpm: 1, tpm: 2 } }, {}, { changes: true, replaces: [], deleteBeforeReplace: false }],
    ['moderation and tags update in place', { moderation: 'Skip', tags: { team: 'x' } }, {}, { changes: true, replaces: [], deleteBeforeReplace: false }],
    ['a longer delete timeout updates the state only', { deleteTimeoutSeconds: 60 }, {}, { changes: true, replaces: [], deleteBeforeReplace: false }],
    // One unit hosts one endpoint: a replacement deletes first unless a standby unit or the input says otherwise.
    ['another model replaces, deleting first', { customModelId: 'cm-20240202000000-zzzzz' }, {}, { changes: true, replaces: ['customModelId'], deleteBeforeReplace: true }],
    ['another model unit replaces', { modelUnitId: 'mu-20240202000000-zzzzz' }, {}, { changes: true, replaces: ['modelUnitId'], deleteBeforeReplace: true }],
    ['another project replaces', { projectName: 'p2' }, {}, { changes: true, replaces: ['projectName'], deleteBeforeReplace: true }],
    [
      'create-before-delete, asked for, creates first on one unit',
      { customModelId: 'cm-20240202000000-zzzzz', replacement: 'create-before-delete' },
      { replacement: 'create-before-delete' },
      { changes: true, replaces: ['customModelId'], deleteBeforeReplace: false },
    ],
    [
      'with a standby unit another model replaces, creating first',
      { customModelId: 'cm-20240202000000-zzzzz', standbyModelUnitId: STANDBY },
      { standbyModelUnitId: STANDBY },
      { changes: true, replaces: ['customModelId'], deleteBeforeReplace: false },
    ],
    ['adding a standby unit changes the state only', { standbyModelUnitId: STANDBY }, {}, { changes: true, replaces: [], deleteBeforeReplace: false }],
    [
      'a new modelUnitId does not move an endpoint serving on the standby unit',
      { modelUnitId: 'mu-20240202000000-zzzzz', standbyModelUnitId: STANDBY },
      { standbyModelUnitId: STANDBY, servingModelUnitId: STANDBY },
      { changes: true, replaces: [], deleteBeforeReplace: false },
    ],
    [
      'dropping the standby unit the endpoint serves on replaces it',
      {},
      { standbyModelUnitId: STANDBY, servingModelUnitId: STANDBY },
      { changes: true, replaces: ['standbyModelUnitId'], deleteBeforeReplace: true },
    ],
    [
      'delete-before-create replaces old first',
      { customModelId: 'cm-20240202000000-zzzzz', replacement: 'delete-before-create' },
      { replacement: 'delete-before-create' },
      { changes: true, replaces: ['customModelId'], deleteBeforeReplace: true },
    ],
    ['delete-before-create alone changes no endpoint', { replacement: 'delete-before-create' }, { replacement: 'delete-before-create' }, { changes: false, replaces: [], deleteBeforeReplace: false }],
    ['an unknown model id during preview replaces', { customModelId: UNKNOWN }, {}, { changes: true, replaces: ['customModelId'], deleteBeforeReplace: true }],
    ['an unknown name during preview updates', { name: UNKNOWN }, {}, { changes: true, replaces: [], deleteBeforeReplace: false }],
    ['an unknown nested value counts as a change', { rateLimit: { rpm: UNKNOWN as unknown as number, tpm: 1 } }, {}, { changes: true, replaces: [], deleteBeforeReplace: false }],
    ['adoptExistingId is only read at create', { adoptExistingId: 'ep-20240101000000-abcde' }, {}, { changes: false, replaces: [], deleteBeforeReplace: false }],
    ['an empty description equals none', { description: '' }, {}, { changes: false, replaces: [], deleteBeforeReplace: false }],
    ['a Stopped endpoint needs an update that starts it', {}, { status: 'Stopped' }, { changes: true, replaces: [], deleteBeforeReplace: false }],
    ['a Scheduling endpoint (timed-out wait) needs an update that resumes', {}, { status: 'Scheduling' }, { changes: true, replaces: [], deleteBeforeReplace: false }],
    ['with rolling, another model unit still replaces', { modelUnitId: 'mu-20240202000000-zzzzz', modelUpdate: 'rolling' }, { modelUpdate: 'rolling' }, { changes: true, replaces: ['modelUnitId'], deleteBeforeReplace: true }],
    ['a readiness probe that never passed needs an update that probes', { readinessProbe: { prompt: 'hi' } }, { readinessProbe: { prompt: 'hi' }, lastProbe: { time: 't', latencyMs: 1, passed: false, httpStatus: 400, errorCode: 'X' } }, { changes: true, replaces: [], deleteBeforeReplace: false }],
    ['a passed readiness probe is not repeated', { readinessProbe: { prompt: 'hi' } }, { readinessProbe: { prompt: 'hi' }, lastProbe: { time: 't', latencyMs: 1, passed: true, httpStatus: 200 } }, { changes: false, replaces: [], deleteBeforeReplace: false }],
  ])('%s', async (_label, newOverrides, stateOverrides, expected) => {
    const { changed, ...decision } = await controller.diff('ep-1', { ...state, ...stateOverrides }, { ...base, ...newOverrides }, ctx);
    expect(decision).toEqual(expected);
    // The detailed diff of the native plugin: every replacing property is also a changed one.
    expect(changed).toEqual(expect.arrayContaining(expected.replaces));
  });

  it('names the changed properties for the detailed diff', async () => {
    const result = await controller.diff('ep-1', state, { ...base, name: 'renamed', description: 'new' }, ctx);
    expect(result.changed).toEqual(['name', 'description']);
  });

  it('declares its replace list up front (the unit decides by where the endpoint runs)', () => {
    expect(replaceOnChanges).toEqual(['customModelId', 'projectName']);
  });

  it('warns at preview that a delete-first replacement takes the endpoint down until the new one runs', async () => {
    const warnings: string[] = [];
    const log = { info: () => undefined, warn: (m: string) => warnings.push(m) };
    await controller.diff('ep-1', state, { ...base, customModelId: 'cm-20240202000000-zzzzz' }, { ...ctx, log });
    expect(warnings).toEqual([expect.stringMatching(/^endpoint ep-1 will be replaced by deleting it first: it is down from its delete until the new endpoint is Running .*set standbyModelUnitId/)]);
    warnings.length = 0;
    await controller.diff('ep-1', state, { ...base, customModelId: 'cm-20240202000000-zzzzz', standbyModelUnitId: STANDBY }, { ...ctx, log });
    expect(warnings).toEqual([]);
    await controller.diff('ep-1', state, { ...base, customModelId: 'cm-20240202000000-zzzzz', replacement: 'create-before-delete' }, { ...ctx, log });
    expect(warnings).toEqual([expect.stringMatching(/create-before-delete on the single model unit .* needs a unit with room for two endpoints/)]);
  });
});

describe('ModelUnitEndpoint check', () => {
  it('accepts valid inputs unchanged', async () => {
    await expect(controller.check({}, { ...base }, ctx)).resolves.toEqual({ inputs: base });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a foundation model id', { customModelId: 'doubao-seed-1-6' }, 'customModelId'],
    ['a model unit id that cannot be one', { modelUnitId: 'unit 1' }, 'modelUnitId'],
    ['the same unit as standby', { standbyModelUnitId: base.modelUnitId }, 'standbyModelUnitId'],
    ['a negative rpm', { rateLimit: { rpm: -1, tpm: 1 } }, 'rateLimit.rpm'],
    ['an unknown replacement mode', { replacement: 'blue-green' }, 'replacement'],
    ['a zero timeout', { createTimeoutSeconds: 0 }, 'createTimeoutSeconds'],
    ['a missing name', { name: undefined }, 'name'],
    ['an unknown model update mode', { modelUpdate: 'blue-green' }, 'modelUpdate'],
    ['a probe without a prompt', { readinessProbe: { maxTokens: 4 } }, 'readinessProbe.prompt'],
    ['a probe with an unknown field', { readinessProbe: { prompt: 'hi', path: '/health' } }, 'readinessProbe'],
  ])('reports %s against the property', async (_label, overrides, property) => {
    const result = await controller.check({}, { ...base, ...overrides }, ctx);
    expect(result.inputs).toBeUndefined();
    expect(result.failures?.map((f) => f.property)).toEqual([property]);
  });

  it('passes a moderation strategy outside the documented ones to Ark (no source says the set is closed)', async () => {
    const result = await controller.check({}, { ...base, moderation: 'Strict' }, ctx);
    expect(result.inputs).toMatchObject({ moderation: 'Strict' });
  });

  it('lets unknown values through during preview and still validates the rest', async () => {
    const news = { ...base, customModelId: UNKNOWN, rateLimit: { rpm: UNKNOWN, tpm: 5 } };
    await expect(controller.check({}, news, ctx)).resolves.toEqual({ inputs: news });
    const bad = await controller.check({}, { ...news, modelUnitId: '/nope' }, ctx);
    expect(bad.failures?.map((f) => f.property)).toEqual(['modelUnitId']);
  });
});

describe('updatePatch', () => {
  const live = {
    Id: 'ep-1',
    Name: 'support-bot',
    Description: '',
    ModelReference: { CustomModelId: base.customModelId },
    ModelUnitId: base.modelUnitId,
    Status: 'Running' as const,
    RateLimit: { Rpm: 600, Tpm: 200000 },
    Tags: [
      { Key: 'team', Value: 'ml' },
      { Key: 'pulumi-ark-owner', Value: 'proj/dev/chat' },
    ],
    CreateTime: 't',
    UpdateTime: 't',
  };

  it('is empty when the endpoint matches, whatever the tag order', () => {
    expect(updatePatch(live, base)).toBeUndefined();
  });

  it('carries only what differs, tags as a full list with the owner tag', () => {
    expect(updatePatch(live, { ...base, description: 'd', tags: {} })).toEqual({
      Description: 'd',
      Tags: [{ Key: 'pulumi-ark-owner', Value: 'proj/dev/chat' }],
    });
  });
});
