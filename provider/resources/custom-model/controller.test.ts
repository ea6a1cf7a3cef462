import { createHash } from 'node:crypto';
import { UNKNOWN, type ControllerContext } from '../controller';
import { arkModelName, customModelController as controller, outputsFromLive, replaceOnChanges } from './controller';
import type { Inputs, Outputs } from './schema';

const ctx: ControllerContext = {
  settings: () => {
    throw new Error('check/diff must not call the API');
  },
  log: { info: () => undefined, warn: () => undefined },
};

const base: Inputs = {
  name: 'qwen-sft',
  baseModel: 'Qwen2.5-7B',
  location: 'tos://models/sft/v3/',
  contentDigest: 'sha256:aaaa',
  owner: 'proj/dev/model',
};
const state: Outputs = {
  ...base,
  modelName: arkModelName(base),
  status: 'Ready',
  foundationModel: { name: 'qwen2-5-7b', modelVersion: '20240919' },
  createTime: 't',
  updateTime: 't',
};

describe('CustomModel diff', () => {
  it.each<[string, Partial<Inputs>, Partial<Outputs>, { changes: boolean; replaces: string[] }]>([
    ['nothing changed', {}, {}, { changes: false, replaces: [] }],
    ['a rename updates in place', { name: 'qwen-sft-2' }, {}, { changes: true, replaces: [] }],
    ['a description updates in place', { description: 'hello' }, {}, { changes: true, replaces: [] }],
    ['new content replaces', { contentDigest: 'sha256:bbbb' }, {}, { changes: true, replaces: ['contentDigest'] }],
    ['a new location replaces', { location: 'tos://models/sft/v4/' }, {}, { changes: true, replaces: ['location'] }],
    ['another base replaces', { baseModel: 'Qwen3-8B' }, {}, { changes: true, replaces: ['baseModel'] }],
    ['quantization replaces', { quantization: 'W8A8' }, {}, { changes: true, replaces: ['quantization'] }],
    ['tags replace (Ark cannot retag a model)', { tags: { a: 'b' } }, {}, { changes: true, replaces: ['tags'] }],
    ['naming the base reference replaces', { baseModelRef: { id: 'fm-card' } }, {}, { changes: true, replaces: ['baseModelRef'] }],
    ['an unknown digest during preview replaces', { contentDigest: UNKNOWN }, {}, { changes: true, replaces: ['contentDigest'] }],
    ['an unknown name during preview updates', { name: UNKNOWN }, {}, { changes: true, replaces: [] }],
    ['a new owner (resource renamed with an alias) changes nothing', { owner: 'proj/dev/other' }, {}, { changes: false, replaces: [] }],
    ['a timeout change updates the state only', { createTimeoutSeconds: 99 }, {}, { changes: true, replaces: [] }],
    ['a failed import needs an update that reports it again', {}, { status: 'Failed' }, { changes: true, replaces: [] }],
    ['an unfinished import needs an update that resumes waiting', {}, { status: 'Processing' }, { changes: true, replaces: [] }],
  ])('%s', async (_label, newOverrides, stateOverrides, expected) => {
    const { changed, ...decision } = await controller.diff('cm-1', { ...state, ...stateOverrides }, { ...base, ...newOverrides }, ctx);
    expect(decision).toEqual(expected);
    // The detailed diff of the native plugin: every replacing property is also a changed one.
    expect(changed).toEqual(expect.arrayContaining(expected.replaces));
  });

  it('names the changed properties for the detailed diff', async () => {
    const result = await controller.diff('cm-1', state, { ...base, name: 'renamed', description: 'new' }, ctx);
    expect(result.changed).toEqual(['name', 'description']);
  });

  it('declares its replace list up front', () => {
    expect(replaceOnChanges).toEqual(['baseModel', 'baseModelRef', 'location', 'contentDigest', 'quantization', 'tags', 'projectName']);
  });
});

describe('CustomModel check', () => {
  it('stores the catalogue id for a Hugging Face id', async () => {
    await expect(controller.check({}, { ...base, baseModel: 'Qwen/Qwen2.5-7B' }, ctx)).resolves.toEqual({ inputs: base });
  });

  it('names the supported bases when the base is unknown', async () => {
    const result = await controller.check({}, { ...base, baseModel: 'gpt-5' }, ctx);
    expect(result.failures).toEqual([
      { property: 'baseModel', reason: expect.stringMatching(/^"gpt-5" is not a supported base model; expected one of: .*Qwen2\.5-7B/) },
    ]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a location without trailing slash', { location: 'tos://models/sft' }, 'location'],
    ['an s3 location', { location: 's3://models/sft/' }, 'location'],
    ['a name starting with a digit', { name: '7b-sft' }, 'name'],
    ['an unknown quantization', { quantization: 'INT3' }, 'quantization'],
    ['an endpoint id to adopt', { adoptExistingId: 'ep-20240101000000-abcde' }, 'adoptExistingId'],
  ])('reports %s against the property', async (_label, overrides, property) => {
    const result = await controller.check({}, { ...base, ...overrides }, ctx);
    expect(result.failures?.map((f) => f.property)).toEqual([property]);
  });

  it('skips value checks for unknown inputs during preview', async () => {
    const news = { ...base, baseModel: UNKNOWN, location: UNKNOWN, contentDigest: UNKNOWN };
    await expect(controller.check({}, news, ctx)).resolves.toEqual({ inputs: news });
  });
});

describe('arkModelName', () => {
  it('suffixes the name with 8 hex characters that change exactly with the imported content', () => {
    expect(arkModelName(base)).toMatch(/^qwen-sft-[0-9a-f]{8}$/);
    expect(arkModelName({ ...base, name: 'other' }).slice(-8)).toBe(arkModelName(base).slice(-8));
    expect(arkModelName({ ...base, contentDigest: 'sha256:bbbb' })).not.toBe(arkModelName(base));
    expect(arkModelName({ ...base, quantization: 'W8A8' })).not.toBe(arkModelName(base));
    // A named base reference is part of what the import reads; left unset, names stay as they were before it existed.
    expect(arkModelName({ ...base, baseModelRef: { id: 'fm-card' } })).not.toBe(arkModelName(base));
    const before = createHash('sha256').update(JSON.stringify([base.contentDigest, base.baseModel, '', base.location])).digest('hex').slice(0, 8);
    expect(arkModelName(base)).toBe(`qwen-sft-${before}`);
  });
});

describe('outputsFromLive', () => {
  const live = {
    Id: 'cm-1',
    Name: arkModelName(base),
    Description: '',
    ProjectName: 'default',
    FoundationModel: { Name: 'qwen2-5-7b', ModelVersion: '20240919' },
    Status: 'Ready' as const,
    TosLocation: { BucketName: 'models', ObjectKey: 'sft/v3/' },
    Tags: [{ Key: 'pulumi-ark-owner', Value: base.owner }],
    CreateTime: 't',
    UpdateTime: 't2',
  };

  it('maps an unchanged model back to the same inputs (no spurious drift)', () => {
    expect(outputsFromLive(state, live)).toEqual({ ...state, description: undefined, quantization: undefined, tags: undefined, updateTime: 't2' });
  });

  it('keeps the declared quantization when Ark omits it or names it in another vocabulary (tolerant reader)', () => {
    const quantized = { ...state, quantization: 'W4A8' as const };
    expect(outputsFromLive(quantized, live).quantization).toBe('W4A8');
    expect(outputsFromLive(quantized, { ...live, Quantization: 'int4-int8' }).quantization).toBe('W4A8');
    expect(outputsFromLive(quantized, { ...live, Quantization: 'W8A8' }).quantization).toBe('W8A8');
  });

  it('treats absent Tags and ProjectName as not reported, not as a change that would replace the model', () => {
    const declared = { ...state, tags: { team: 'ml' }, projectName: 'research' };
    const { Tags: _tags, ProjectName: _project, ...terse } = live;
    expect(outputsFromLive(declared, terse)).toMatchObject({ tags: { team: 'ml' }, projectName: 'research' });
  });

  it('keeps the stored status when neither Get nor the List fallback reported one', () => {
    const { Status: _status, ...unreported } = live;
    expect(outputsFromLive({ ...state, status: 'Processing' }, unreported).status).toBe('Processing');
  });

  it('keeps the stored base when the live reference is not a catalogue one (a baseModelRef card)', () => {
    const card = { ...state, baseModelRef: { name: 'qwen2-5-7b-card', modelVersion: '1' } };
    expect(outputsFromLive(card, { ...live, FoundationModel: { Name: 'qwen2-5-7b-card', ModelVersion: '1' } })).toMatchObject({
      baseModel: 'Qwen2.5-7B',
      foundationModel: { name: 'qwen2-5-7b-card', modelVersion: '1' },
    });
  });

  it('shows a rename done in the console as the full live name', () => {
    expect(outputsFromLive(state, { ...live, Name: 'by-hand' }).name).toBe('by-hand');
  });
});
