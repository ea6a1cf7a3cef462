/**
 * After a create call has returned an id, no error may lose that id: each resource's create is run once
 * successfully against a scripted service to record the calls it makes, then once per call after the create
 * call with an error injected there; every run must end in a PartialFailureError carrying the id. (Fault
 * branches, hence stand-ins for the clients; the integration tests run the same controllers against ark-local.)
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toApiTags } from '../clients/ark/finders';
import { ArkClient } from '../clients/ark/client';
import { TosStorage } from '../clients/tos/client';
import { crc64OfFile } from '../sync/fingerprint';
import { META_OWNER, MIN_PART_SIZE } from '../sync/engine';
import { PartialFailureError, type ControllerContext, type ProviderSettings } from './controller';
import { customModelController } from './custom-model/controller';
import type { Inputs as ModelInputs } from './custom-model/schema';
import { modelUnitEndpointController } from './model-unit-endpoint/controller';
import type { Inputs as EndpointInputs } from './model-unit-endpoint/schema';
import { tosModelDirController } from './tos-model-dir/controller';
import { InputsSchema as DirInputsSchema } from './tos-model-dir/schema';

jest.mock('../clients/ark/client', () => ({ ...jest.requireActual('../clients/ark/client'), ArkClient: jest.fn() }));
jest.mock('../clients/tos/client', () => ({ ...jest.requireActual('../clients/tos/client'), TosStorage: jest.fn() }));

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
    private readonly handlers: Record<string, (request: any, nth: number) => unknown>,
    private readonly failAt?: number,
  ) {}
  async invoke(name: string, request: unknown): Promise<any> {
    const index = this.calls.push(name) - 1;
    if (index === this.failAt) throw new Error(`injected failure of ${name} (call ${index + 1})`);
    const handler = this.handlers[name];
    if (!handler) throw new Error(`no scripted answer for ${name}`);
    return handler(request, this.calls.filter((c) => c === name).length);
  }
}

/** The positions after the first `createCall`: every step a failure must not lose the id in. */
function stepsAfter(calls: readonly string[], createCall: string): number[] {
  const created = calls.indexOf(createCall);
  if (created < 0) throw new Error(`the successful run never made ${createCall}: ${calls.join(', ')}`);
  return calls.map((_, i) => i).filter((i) => i > created);
}

function arkClientFrom(script: Scripted) {
  (ArkClient as unknown as jest.Mock).mockImplementation(() => ({
    call: (action: string, request: unknown) => script.invoke(action, request),
    listAll: async (action: string, request: unknown) => ((await script.invoke(action, request)) as { Items: unknown[] }).Items,
  }));
}

/** Runs `create` once per step after the create call, failing that step, and collects what each run threw. */
async function failEachStep(
  handlers: () => Record<string, (request: any, nth: number) => unknown>,
  install: (script: Scripted) => void,
  createCall: string,
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
  let work: string;
  let source: string;
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'partial-create-'));
    source = path.join(work, 'model');
    process.env.PULUMI_ARK_CACHE_DIR = path.join(work, 'cache');
    // Small files go up in one PUT each, the 6 MiB one (above the 5 MiB part size) as a multipart upload.
    await fs.mkdir(source);
    await fs.writeFile(path.join(source, 'config.json'), '{}');
    await fs.writeFile(path.join(source, 'tokenizer.json'), '{}');
    await fs.writeFile(path.join(source, 'model.safetensors'), Buffer.alloc(6 * 1024 * 1024, 7));
  });
  afterAll(async () => {
    delete process.env.PULUMI_ARK_CACHE_DIR;
    await fs.rm(work, { recursive: true, force: true });
  });

  const OWNER = 'proj/dev/weights';
  const crcs = new Map<string, Promise<string>>();
  const put = async ({ key, file }: { key: string; file: string }, stored: Map<string, { size: number; crc64: string }>) => {
    const { size } = await fs.stat(file);
    if (!crcs.has(file)) crcs.set(file, crc64OfFile(file));
    const crc64 = await crcs.get(file)!;
    stored.set(key, { size, crc64 });
    return { crc64, partsSent: 0 };
  };
  const handlers = () => {
    // A stale object of this resource under the prefix, so the sync also has a delete step.
    const stored = new Map<string, { size: number; crc64: string }>([['sft/v3/stale.bin', { size: 3, crc64: '1' }]]);
    return {
      bucketExists: () => true,
      listPrefix: () => [...stored].map(([key, o]) => ({ key, size: o.size, crc64: o.crc64, etag: 'e', lastModified: 't' })),
      head: ({ key }: { key: string }) => {
        const o = stored.get(key);
        return o && { size: o.size, crc64: o.crc64, etag: 'e', lastModified: 't', meta: { [META_OWNER]: OWNER } };
      },
      putFile: (request: { key: string; file: string }) => put(request, stored),
      uploadMultipart: (request: { key: string; file: string }) => put(request, stored),
      deleteKeys: ({ keys }: { keys: string[] }) => keys.forEach((k) => stored.delete(k)),
    };
  };
  const install = (script: Scripted) =>
    (TosStorage as unknown as jest.Mock).mockImplementation(() => ({
      bucketExists: (bucket: string) => script.invoke('bucketExists', { bucket }),
      listPrefix: (bucket: string, prefix: string) => script.invoke('listPrefix', { bucket, prefix }),
      head: (bucket: string, key: string) => script.invoke('head', { bucket, key }),
      putFile: (bucket: string, key: string, file: string) => script.invoke('putFile', { bucket, key, file }),
      uploadMultipart: (input: { bucket: string; key: string; filePath: string }) =>
        script.invoke('uploadMultipart', { bucket: input.bucket, key: input.key, file: input.filePath }),
      deleteKeys: (bucket: string, keys: string[]) => script.invoke('deleteKeys', { bucket, keys }),
    }));

  it('turns an error at every step after the first object is written into a partial failure carrying the location', async () => {
    const inputs = DirInputsSchema.parse({ source, bucket: 'models', prefix: 'sft/v3/', baseModel: 'Qwen2.5-0.5B', owner: OWNER, uploadConcurrency: 1, partSize: MIN_PART_SIZE });
    const results = await failEachStep(handlers, install, 'putFile', () => tosModelDirController.create(inputs, ctx));
    expect(results.map((r) => r.step)).toEqual(expect.arrayContaining(['putFile', 'uploadMultipart', 'deleteKeys']));
    for (const { step, error } of results) {
      expect({ step, error }).toEqual({ step, error: expect.any(PartialFailureError) });
      expect(error).toMatchObject({ id: 'tos://models/sft/v3/' });
      // What did arrive is in the partial state, so neither `up` nor `destroy` loses track of it.
      expect((error as PartialFailureError).properties.files).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.any(String) })]));
    }
  });
});
