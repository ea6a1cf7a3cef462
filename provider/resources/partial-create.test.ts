/**
 * After a create call has returned an id, no error may lose that id: each resource's create is run once
 * successfully against a scripted service to record the calls it makes, then once per call after the create
 * call with an error injected there; every run must end in a PartialFailureError carrying the id. The Ark
 * resources talk to a scripted stand-in of the Ark client; TosModelDir to in-process ark-local through the real
 * TOS client, wrapped so any of its calls can be made to fail.
 */
import { promises as fs } from 'node:fs';
import { TosClient } from '@volcengine/tos-sdk';
import * as os from 'node:os';
import * as path from 'node:path';
import { toApiTags } from '../clients/ark/finders';
import { ArkClient, arkClientFor } from '../clients/ark/client';
import { TosStorage } from '../clients/tos/client';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { META_OWNER, MIN_PART_SIZE } from '../sync/engine';
import { PartialFailureError, type ControllerContext, type ProviderSettings } from './controller';
import { customModelController } from './custom-model/controller';
import type { Inputs as ModelInputs } from './custom-model/schema';
import { modelUnitEndpointController } from './model-unit-endpoint/controller';
import type { Inputs as EndpointInputs } from './model-unit-endpoint/schema';
import { tosModelDirController } from './tos-model-dir/controller';
import { InputsSchema as DirInputsSchema } from './tos-model-dir/schema';

jest.mock('../clients/ark/client', () => ({ ...jest.requireActual('../clients/ark/client'), ArkClient: jest.fn(), arkClientFor: jest.fn() }));
jest.mock('../clients/tos/client', () => ({ ...jest.requireActual('../clients/tos/client'), TosStorage: jest.fn() }));
const { TosStorage: RealTosStorage } = jest.requireActual<typeof import('../clients/tos/client')>('../clients/tos/client');

const settings: ProviderSettings = {
  region: 'cn-beijing',
  accessKeyId: 'ak',
  secretAccessKey: 'sk',
  arkEndpoint: 'http://127.0.0.1:1',
  tosEndpoint: '127.0.0.1:1',
  tosSecure: false,
  chatBaseUrl: 'http://127.0.0.1:1/api/v3',
  pollIntervalMs: 1,
};
const ctx: ControllerContext = { settings: () => settings, log: { info: () => undefined, warn: () => undefined } };

/** Answers from per-action handlers, records every call, and fails the call at position `failAt`. */
class Scripted {
  readonly calls: string[] = [];
  constructor(
    private readonly handlers: Record<string, (request: any, nth: number, real: () => unknown) => unknown>,
    private readonly failAt?: number,
  ) {}
  /** `real` performs the call for handlers that pass it through. */
  async invoke(name: string, request: unknown, real: () => unknown = () => undefined): Promise<any> {
    const index = this.calls.push(name) - 1;
    if (index === this.failAt) throw new Error(`injected failure of ${name} (call ${index + 1})`);
    const handler = this.handlers[name];
    if (!handler) throw new Error(`no scripted answer for ${name}`);
    return handler(request, this.calls.filter((c) => c === name).length, real);
  }
}

/** The positions after the first call matching `createCall`: every step a failure must not lose the id in. */
function stepsAfter(calls: readonly string[], createCall: string | RegExp): number[] {
  const created = calls.findIndex((c) => (typeof createCall === 'string' ? c === createCall : createCall.test(c)));
  if (created < 0) throw new Error(`the successful run never made ${createCall}: ${calls.join(', ')}`);
  return calls.map((_, i) => i).filter((i) => i > created);
}

/** A TOS call that writes (an object, a part, an upload): from the first one on, objects of this resource exist. */
const FIRST_WRITE = /^(put|upload|create(?!Bucket)|complete)/;

function arkClientFrom(script: Scripted) {
  const scripted = () => ({
    call: (action: string, request: unknown) => script.invoke(action, request),
    listAll: async (action: string, request: unknown) => ((await script.invoke(action, request)) as { Items: unknown[] }).Items,
  });
  (ArkClient as unknown as jest.Mock).mockImplementation(scripted);
  (arkClientFor as unknown as jest.Mock).mockImplementation(scripted);
}

/** Runs `create` once per step after the create call, failing that step, and collects what each run threw. */
async function failEachStep(
  handlers: () => Record<string, (request: any, nth: number, real: () => unknown) => unknown>,
  install: (script: Scripted) => void,
  createCall: string | RegExp,
  create: () => Promise<{ id: string }>,
): Promise<{ step: string; error: unknown }[]> {
  const clean = new Scripted(handlers());
  install(clean);
  await create();
  const results = [];
  for (const failAt of stepsAfter(clean.calls, createCall)) {
    const script = new Scripted(handlers(), failAt);
    install(script);
    results.push({ step: clean.calls[failAt]!, error: await create().then(() => 'no error', (e: unknown) => e) });
  }
  expect(results.length).toBeGreaterThan(0);
  return results;
}

describe('ModelUnitEndpoint create', () => {
  const inputs: EndpointInputs = {
    name: 'support-bot',
    customModelId: 'cm-20240101000000-abcde',
    modelUnitId: 'mu-20240101000000-fghij',
    rateLimit: { rpm: 600, tpm: 200000 },
    tags: { team: 'ml' },
    owner: 'proj/dev/chat',
  };
  const ID = 'ep-20240101000000-zzzzz';
  const handlers = () => ({
    ListEndpoints: () => ({ Items: [], TotalCount: 0 }),
    CreateEndpoint: () => ({ Id: ID }),
    // Scheduling on the first reads, Running from the third on.
    GetEndpoint: (_: unknown, nth: number) => ({
      Id: ID,
      Name: inputs.name,
      ModelReference: { CustomModelId: inputs.customModelId },
      ModelUnitId: inputs.modelUnitId,
      RateLimit: { Rpm: 600, Tpm: 200000 },
      Tags: toApiTags(inputs.tags, inputs.owner),
      Status: nth >= 3 ? 'Running' : 'Scheduling',
      CreateTime: 't',
      UpdateTime: 't',
    }),
  });

  it('turns an error at every step after CreateEndpoint into a partial failure carrying the endpoint id', async () => {
    const results = await failEachStep(handlers, arkClientFrom, 'CreateEndpoint', () => modelUnitEndpointController.create(inputs, ctx));
    for (const { step, error } of results) {
      expect({ step, error }).toEqual({ step, error: expect.any(PartialFailureError) });
      expect(error).toMatchObject({ id: ID, properties: expect.objectContaining({ name: 'support-bot', owner: 'proj/dev/chat' }) });
      expect((error as PartialFailureError).reasons[0]).toContain(`endpoint ${ID} exists`);
    }
  });
});

describe('CustomModel create', () => {
  const inputs: ModelInputs = {
    name: 'qwen-sft',
    baseModel: 'Qwen2.5-7B',
    location: 'tos://models/sft/v3/',
    contentDigest: 'sha256:aaaa',
    owner: 'proj/dev/model',
  };
  const ID = 'cm-20240101000000-zzzzz';
  const handlers = () => {
    let uploaded: { Name: string } | undefined;
    return {
      ListCustomModels: () => ({ Items: [], TotalCount: 0 }),
      UploadModel: (request: { Name: string }) => ((uploaded = request), { Id: ID }),
      GetCustomModel: (_: unknown, nth: number) => ({
        Id: ID,
        Name: uploaded?.Name,
        FoundationModel: { Name: 'qwen2-5-7b', ModelVersion: '240919' },
        TosLocation: { BucketName: 'models', ObjectKey: 'sft/v3/' },
        Tags: toApiTags(undefined, inputs.owner),
        Status: nth >= 3 ? 'Ready' : 'Processing',
        CreateTime: 't',
        UpdateTime: 't',
      }),
    };
  };

  it('turns an error at every step after UploadModel into a partial failure carrying the model id', async () => {
    const results = await failEachStep(handlers, arkClientFrom, 'UploadModel', () => customModelController.create(inputs, ctx));
    for (const { step, error } of results) {
      expect({ step, error }).toEqual({ step, error: expect.any(PartialFailureError) });
      expect(error).toMatchObject({ id: ID, properties: expect.objectContaining({ name: 'qwen-sft', modelName: expect.stringMatching(/^qwen-sft-[0-9a-f]{8}$/) }) });
    }
  });
});

describe('TosModelDir create', () => {
  const OWNER = 'proj/dev/weights';
  let ark: ArkLocal;
  let work: string;
  let source: string;
  let runs = 0;
  beforeAll(async () => {
    ark = await startArkLocal({ quiet: true });
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'partial-create-'));
    source = path.join(work, 'model');
    process.env.PULUMI_ARK_CACHE_DIR = path.join(work, 'cache');
    // Small files go up in one PUT each, the 6 MiB one (above the 5 MiB part size) as a multipart upload.
    await fs.mkdir(source);
    await fs.writeFile(path.join(source, 'config.json'), '{}');
    await fs.writeFile(path.join(source, 'tokenizer.json'), '{}');
    await fs.writeFile(path.join(source, 'model.safetensors'), Buffer.alloc(6 * 1024 * 1024, 7));
    await new RealTosStorage(ark.providerSettings()).createBucket('models');
  });
  afterAll(async () => {
    delete process.env.PULUMI_ARK_CACHE_DIR;
    await ark.close();
    await fs.rm(work, { recursive: true, force: true });
  });

  /**
   * The real client against ark-local, every method call of it counted (and failed at the chosen position) by
   * name: the test holds whatever calls the sync makes, not a copy of the client's API.
   */
  const install = (script: Scripted) =>
    (TosStorage as unknown as jest.Mock).mockImplementation((s: ProviderSettings, options: unknown) => {
      const real = new RealTosStorage(s, options as never);
      return new Proxy(real, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (typeof value !== 'function' || name === 'constructor') return value;
          return (...args: unknown[]) => script.invoke(String(name), args, () => value.apply(target, args));
        },
      });
    });
  const passThrough = () => new Proxy({}, { get: () => (_: unknown, _nth: number, real: () => unknown) => real() });

  it('turns an error at every step after the first write into a partial failure carrying the location', async () => {
    // A new prefix per run, so no run finds (and adopts) what an earlier one uploaded.
    const create = async () => {
      runs += 1;
      // An object of this resource from an earlier version, so the sync also has a delete step.
      const s = ark.providerSettings();
      const sdk = new TosClient({ accessKeyId: s.accessKeyId, accessKeySecret: s.secretAccessKey, region: s.region, endpoint: s.tosEndpoint, secure: false });
      await sdk.putObject({ bucket: 'models', key: `runs/r${runs}/stale.bin`, body: Buffer.from('old'), meta: { [META_OWNER]: OWNER } });
      const inputs = DirInputsSchema.parse({ source, bucket: 'models', prefix: `runs/r${runs}/`, baseModel: 'Qwen2.5-0.5B', owner: OWNER, uploadConcurrency: 1, partSize: MIN_PART_SIZE });
      return tosModelDirController.create(inputs, { ...ctx, settings: () => ({ ...ark.providerSettings(), pollIntervalMs: 1 }) });
    };
    const results = await failEachStep(passThrough, install, FIRST_WRITE, create);
    for (const { step, error } of results) {
      expect({ step, error }).toEqual({ step, error: expect.any(PartialFailureError) });
      expect(error).toMatchObject({ id: expect.stringMatching(/^tos:\/\/models\/runs\/r\d+\/$/) });
      // What did arrive is in the partial state, so neither `up` nor `destroy` loses track of it.
      expect(Array.isArray((error as PartialFailureError).properties.files)).toBe(true);
    }
    // Small files, the multipart upload and the deletes all came after the first write.
    expect(results.map((r) => r.step)).toEqual(expect.arrayContaining([expect.stringMatching(/^delete/)]));
    expect(results.length).toBeGreaterThanOrEqual(3);
  });
});
