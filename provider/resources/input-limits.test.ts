/**
 * The documented service limits the resource schemas enforce at check (so a preview refuses what the service
 * would), and the undocumented ones they no longer enforce. Sources are named in common-inputs.ts and the schemas.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSyntheticModel } from '../model/synthetic';
import type { CheckResult, ControllerContext } from './controller';
import { MAX_OBJECT_KEY_BYTES, MAX_TAG_VALUE_LENGTH, MAX_USER_TAGS } from './common-inputs';
import { customModelController } from './custom-model/controller';
import { modelUnitEndpointController } from './model-unit-endpoint/controller';
import { tosModelDirController } from './tos-model-dir/controller';

const warnings: string[] = [];
const ctx: ControllerContext = {
  settings: () => {
    throw new Error('these checks must not call the API');
  },
  log: { info: () => undefined, warn: (m) => void warnings.push(m) },
};
beforeEach(() => void (warnings.length = 0));

const model = { name: 'qwen-sft', baseModel: 'Qwen2.5-7B', location: 'tos://models/sft/v3/', contentDigest: 'sha256:aaaa', owner: 'proj/dev/model' };
const endpoint = { name: 'support-bot', customModelId: 'cm-20240101000000-abcde', modelUnitId: 'mu-20240101000000-fghij', owner: 'proj/dev/chat' };

function tags(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 'v']));
}

function failed(result: CheckResult<unknown>): { property: string; reason: string }[] {
  return result.failures ?? [];
}

describe('CustomModel and ModelUnitEndpoint checks', () => {
  const both = [
    ['CustomModel', (news: Record<string, unknown>) => customModelController.check({}, { ...model, ...news }, ctx)],
    ['ModelUnitEndpoint', (news: Record<string, unknown>) => modelUnitEndpointController.check({}, { ...endpoint, ...news }, ctx)],
  ] as const;

  it.each(both)('%s: accepts 49 tags, refuses 50 (the owner tag makes 51 of the 50 Volcengine allows)', async (_kind, check) => {
    expect(MAX_USER_TAGS).toBe(49);
    expect(failed(await check({ tags: tags(49) }))).toEqual([]);
    const refused = failed(await check({ tags: tags(50) }));
    expect(refused.map((f) => f.property)).toEqual(['tags']);
    expect(refused[0]!.reason).toContain('at most 49 tags');
    expect(failed(await check({ tags: tags(51) })).map((f) => f.property)).toEqual(['tags']);
  });

  it.each(both)('%s: refuses reserved and owner tag keys, overlong keys and values', async (_kind, check) => {
    for (const bad of [{ 'sys:x': 'v' }, { 'VOLC:x': 'v' }, { 'pulumi-ark-owner': 'someone' }, { ['k'.repeat(129)]: 'v' }, { k: 'v'.repeat(257) }]) {
      expect(failed(await check({ tags: bad })).map((f) => f.property)[0]).toMatch(/^tags/);
    }
    expect(failed(await check({ tags: { ['k'.repeat(128)]: 'v'.repeat(256), empty: '' } }))).toEqual([]);
  });

  it.each(both)('%s: refuses an owner over 256 characters, a 1 MB one included', async (_kind, check) => {
    expect(failed(await check({ owner: 'p/s/'.padEnd(MAX_TAG_VALUE_LENGTH, 'x') }))).toEqual([]);
    for (const owner of ['p/s/'.padEnd(MAX_TAG_VALUE_LENGTH + 1, 'x'), 'x'.repeat(1024 * 1024)]) {
      const refused = failed(await check({ owner }));
      expect(refused.map((f) => f.property)).toEqual(['owner']);
      expect(refused[0]!.reason).toContain('shorten the resource name');
    }
  });
});

describe('CustomModel check', () => {
  it.each(['tos://models/../other/', 'tos://models/a/../b/', 'tos://models/./a/'])('refuses the location %s (dot segments)', async (location) => {
    const refused = failed(await customModelController.check({}, { ...model, location }, ctx));
    expect(refused.map((f) => f.property)).toEqual(['location']);
    expect(refused[0]!.reason).toContain('".." segments');
  });

  it('refuses a location whose prefix cannot be part of a TOS object key', async () => {
    const fits = `tos://models/${'a'.repeat(MAX_OBJECT_KEY_BYTES - 2)}/`;
    expect(failed(await customModelController.check({}, { ...model, location: fits }, ctx))).toEqual([]);
    const tooLong = `tos://models/${'é'.repeat(MAX_OBJECT_KEY_BYTES / 2)}/`;
    expect(failed(await customModelController.check({}, { ...model, location: tooLong }, ctx)).map((f) => f.property)).toEqual(['location']);
  });

  it('keeps the documented 300-character description limit, and no undocumented name length limit', async () => {
    expect(failed(await customModelController.check({}, { ...model, description: 'd'.repeat(301) }, ctx)).map((f) => f.property)).toEqual(['description']);
    expect(failed(await customModelController.check({}, { ...model, name: `q${'x'.repeat(200)}` }, ctx))).toEqual([]);
  });
});

describe('ModelUnitEndpoint check', () => {
  it('has no undocumented name or description limits', async () => {
    expect(failed(await modelUnitEndpointController.check({}, { ...endpoint, name: 'n'.repeat(200), description: 'd'.repeat(2000) }, ctx))).toEqual([]);
  });

  it('passes an undocumented moderation strategy on with a warning, a documented one silently', async () => {
    const result = await modelUnitEndpointController.check({}, { ...endpoint, moderation: 'Strict' }, ctx);
    expect(result.inputs?.moderation).toBe('Strict');
    expect(warnings.join('\n')).toContain('moderation "Strict" is none of the documented strategies (Default, Basic, Customized, Skip)');
    warnings.length = 0;
    await modelUnitEndpointController.check({}, { ...endpoint, moderation: 'Skip' }, ctx);
    expect(warnings).toEqual([]);
  });

  it('keeps the int32 rate limits of the API', async () => {
    const refused = failed(await modelUnitEndpointController.check({}, { ...endpoint, rateLimit: { rpm: 2 ** 31, tpm: 1 } }, ctx));
    expect(refused.map((f) => f.property)).toEqual(['rateLimit.rpm']);
  });
});

describe('TosModelDir check', () => {
  let work: string;
  let source: string;
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'input-limits-'));
    source = path.join(work, 'model');
    await writeSyntheticModel(source, { base: 'Qwen2.5-0.5B' });
  });
  afterAll(() => fs.rm(work, { recursive: true, force: true }));

  // createBucket: true, so check makes no bucket HEAD.
  const inputs = (prefix: string, owner = 'proj/dev/weights') => ({ source, bucket: 'models', prefix, baseModel: 'Qwen2.5-0.5B', createBucket: true, owner });

  it('refuses a prefix of 1024 bytes or more in the schema, naming the TOS key limit', async () => {
    const refused = failed(await tosModelDirController.check({}, inputs(`${'p'.repeat(MAX_OBJECT_KEY_BYTES)}/`), ctx));
    expect(refused.map((f) => f.property)).toEqual(['prefix']);
    expect(refused[0]!.reason).toContain(`TOS object keys are at most ${MAX_OBJECT_KEY_BYTES} bytes`);
  });

  it('refuses a prefix that makes some object key longer than TOS allows, naming the file', async () => {
    const longest = (await fs.readdir(source)).sort((a, b) => b.length - a.length)[0]!;
    const fits = `${'p'.repeat(MAX_OBJECT_KEY_BYTES - longest.length - 1)}/`;
    expect(failed(await tosModelDirController.check({}, inputs(fits), ctx))).toEqual([]);
    const refused = failed(await tosModelDirController.check({}, inputs(`p${fits}`), ctx));
    expect(refused.map((f) => f.property)).toEqual(['prefix']);
    expect(refused[0]!.reason).toContain(`the object key for ${longest} would be ${MAX_OBJECT_KEY_BYTES + 1} bytes`);
  });

  it('refuses a 1 MB owner (it travels as an HTTP header on every object)', async () => {
    expect(failed(await tosModelDirController.check({}, inputs('sft/', 'x'.repeat(1024 * 1024)), ctx)).map((f) => f.property)).toEqual(['owner']);
  });
});
