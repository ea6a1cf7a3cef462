import * as grpc from '@grpc/grpc-js';
import * as structproto from 'google-protobuf/google/protobuf/struct_pb';
import * as emptyproto from 'google-protobuf/google/protobuf/empty_pb';
import * as plugproto from '@pulumi/pulumi/proto/plugin_pb';
import * as provrpc from '@pulumi/pulumi/proto/provider_grpc_pb';
import * as provproto from '@pulumi/pulumi/proto/provider_pb';
import * as statusproto from '@pulumi/pulumi/proto/status_pb';
import { createNativeProvider, ResourceProviderService } from '../../provider/native/server';
import { CONTROLLERS } from '../../provider/resources/registry';
import { UNKNOWN } from '../../provider/resources/controller';
import { type ArkFixture, recordingLog, startArkFixture } from './ark-client.fixtures';

/**
 * The native plugin's gRPC service, driven the way the engine drives it (a ResourceProviderClient over a
 * loopback port) against ark-local, through the real controllers: config with secrets, check failures, the
 * detailed diff, create/read/update/delete, import by id, partial failures, engine timeouts.
 */
jest.setTimeout(120_000);

const SECRET = { '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270' };
const urn = (type: string, name: string) => `urn:pulumi:dev::proj::ark:index:${type}::${name}`;

let fx: ArkFixture;
let server: grpc.Server;
let client: provrpc.ResourceProviderClient;
const log = recordingLog();
let location: string;
let modelUnitId: string;

interface Responses {
  getPluginInfo: plugproto.PluginInfo;
  getSchema: provproto.GetSchemaResponse;
  configure: provproto.ConfigureResponse;
  check: provproto.CheckResponse;
  diff: provproto.DiffResponse;
  create: provproto.CreateResponse;
  read: provproto.ReadResponse;
  update: provproto.UpdateResponse;
  delete: emptyproto.Empty;
}
/** One unary call, as the engine makes it. */
function rpc<M extends keyof Responses>(method: M, req: unknown): Promise<Responses[M]> {
  const call = (client[method] as unknown as (r: unknown, cb: (e: grpc.ServiceError | null, res: Responses[M]) => void) => unknown).bind(client);
  return new Promise((resolve, reject) => call(req, (err, res) => (err ? reject(err) : resolve(res))));
}
const struct = (value: object) => structproto.Struct.fromJavaScript(value as Record<string, structproto.JavaScriptValue>);

async function check(type: string, name: string, news: object, olds: object = {}) {
  const res = await rpc('check', new provproto.CheckRequest().setUrn(urn(type, name)).setOlds(struct(olds)).setNews(struct(news)));
  return { inputs: res.getInputs()?.toJavaScript() ?? {}, failures: res.getFailuresList().map((f) => [f.getProperty(), f.getReason()]) };
}

async function create(type: string, name: string, inputs: object, timeout = 0) {
  const res = await rpc('create', new provproto.CreateRequest().setUrn(urn(type, name)).setProperties(struct(inputs)).setTimeout(timeout));
  return { id: res.getId(), outs: res.getProperties()!.toJavaScript() };
}

async function diff(type: string, name: string, id: string, olds: object, news: object) {
  const res = await rpc('diff', new provproto.DiffRequest().setUrn(urn(type, name)).setId(id).setOlds(struct(olds)).setNews(struct(news)));
  const detailed: Record<string, string> = {};
  const kinds = Object.fromEntries(Object.entries(provproto.PropertyDiff.Kind).map(([k, v]) => [v, k]));
  res.getDetaileddiffMap().forEach((value, key) => (detailed[key] = kinds[value.getKind()]!));
  return { changes: res.getChanges(), replaces: res.getReplacesList(), detailed };
}

function initFailure(error: grpc.ServiceError): provproto.ErrorResourceInitFailed | undefined {
  const bin = error.metadata?.get('grpc-status-details-bin')[0];
  if (!bin) return undefined;
  const any = statusproto.Status.deserializeBinary(bin as Buffer).getDetailsList()[0];
  return any?.unpack(provproto.ErrorResourceInitFailed.deserializeBinary, 'pulumirpc.ErrorResourceInitFailed') ?? undefined;
}

beforeAll(async () => {
  fx = await startArkFixture();
  const provider = createNativeProvider({
    registry: CONTROLLERS,
    version: '9.9.9',
    schema: '{"name":"ark"}',
    log: { forResource: (_urn, prefix) => ({ info: (m) => log.info(`${prefix} ${m}`), warn: (m) => log.warn(`${prefix} ${m}`) }) },
    // Only the stack config below may provide credentials.
    env: () => ({}),
  });
  server = new grpc.Server();
  server.addService(ResourceProviderService, provider.service);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  location = await fx.uploadModel('models', 'native/', { base: 'Qwen2.5-0.5B' });
  modelUnitId = (await fx.ark.admin.createModelUnit({ slots: 4 })).Id;
  await fx.ark.admin.setTransitions({ mode: 'immediate' });
}, 180_000);

afterAll(async () => {
  client?.close();
  server?.forceShutdown();
  await fx?.close();
});

test('plugin info and schema come from the options', async () => {
  expect((await rpc('getPluginInfo', new emptyproto.Empty())).getVersion()).toBe('9.9.9');
  expect((await rpc('getSchema', new provproto.GetSchemaRequest())).getSchema()).toBe('{"name":"ark"}');
});

test('operations before Configure fail with the missing-credentials message, not a trace', async () => {
  const error = await create('CustomModel', 'early', { name: 'm', baseModel: 'Qwen2.5-0.5B', location, contentDigest: 'd', owner: 'o' }).catch((e) => e);
  expect(error.details).toMatch(/^Ark credentials are not set/);
  expect(error.details).not.toMatch(/\n\s+at /);
});

describe('configured with secret stack config', () => {
  let modelId: string;
  let modelOuts: Record<string, unknown>;

  beforeAll(async () => {
    const s = fx.ark.providerSettings();
    const args = {
      accessKey: { ...SECRET, value: s.accessKeyId },
      secretKey: { ...SECRET, value: s.secretAccessKey },
      endpoint: s.arkEndpoint,
      tosEndpoint: s.tosEndpoint,
      chatBaseUrl: s.chatBaseUrl,
      region: s.region,
    };
    const res = await rpc('configure', new provproto.ConfigureRequest().setArgs(struct(args)).setAcceptsecrets(true));
    expect(res.getAcceptsecrets()).toBe(true);
  });

  test('check takes owner from the URN and reports one failure per bad property', async () => {
    const ok = await check('CustomModel', 'sft', { name: 'sft', baseModel: 'Qwen/Qwen2.5-0.5B', location, contentDigest: 'sha256:a' });
    expect(ok.failures).toEqual([]);
    expect(ok.inputs).toMatchObject({ owner: 'proj/dev/sft', baseModel: 'Qwen2.5-0.5B' });

    const bad = await check('ModelUnitEndpoint', 'chat', { name: 'x', customModelId: 'nope', modelUnitId: 'no unit', rateLimit: { rpm: UNKNOWN, tpm: 1 } });
    expect(bad.failures.map(([p]) => p)).toEqual(['customModelId', 'modelUnitId']);
    for (const [, reason] of bad.failures) expect(reason).not.toContain('\n');

    const unknownBase = await check('CustomModel', 'sft', { name: 'sft', baseModel: 'Llama-1', location, contentDigest: 'd' });
    expect(unknownBase.failures).toEqual([['baseModel', expect.stringContaining('"Llama-1" is not a supported base model')]]);
  });

  test('create, detailed diff, update, import by id, delete', async () => {
    const modelInputs = (await check('CustomModel', 'sft', { name: 'sft', baseModel: 'Qwen2.5-0.5B', location, contentDigest: 'sha256:a' })).inputs;
    ({ id: modelId, outs: modelOuts } = await create('CustomModel', 'sft', modelInputs));
    expect(modelOuts).toMatchObject({ status: 'Ready', owner: 'proj/dev/sft' });

    const epNews = { name: 'bot', customModelId: modelId, modelUnitId, rateLimit: { rpm: 60, tpm: 6000 } };
    const epInputs = (await check('ModelUnitEndpoint', 'chat', epNews)).inputs;
    const { id, outs } = await create('ModelUnitEndpoint', 'chat', epInputs);
    expect(outs).toMatchObject({ status: 'Running', owner: 'proj/dev/chat' });
    expect(log.lines).toContain(`[ark ModelUnitEndpoint] endpoint "bot": created ${id} on model unit ${modelUnitId}`);

    expect(await diff('ModelUnitEndpoint', 'chat', id, outs, epInputs)).toEqual({ changes: provproto.DiffResponse.DiffChanges.DIFF_NONE, replaces: [], detailed: {} });
    const faster = { ...epInputs, rateLimit: { rpm: 120, tpm: 6000 } };
    expect(await diff('ModelUnitEndpoint', 'chat', id, outs, faster)).toEqual({
      changes: provproto.DiffResponse.DiffChanges.DIFF_SOME,
      replaces: [],
      detailed: { rateLimit: 'UPDATE' },
    });
    expect(await diff('ModelUnitEndpoint', 'chat', id, outs, { ...epInputs, customModelId: UNKNOWN, description: 'new' })).toEqual({
      changes: provproto.DiffResponse.DiffChanges.DIFF_SOME,
      replaces: ['customModelId'],
      detailed: { customModelId: 'UPDATE_REPLACE', description: 'ADD' },
    });

    const updated = await rpc('update', new provproto.UpdateRequest().setUrn(urn('ModelUnitEndpoint', 'chat')).setId(id).setOlds(struct(outs)).setNews(struct(faster)));
    expect(updated.getProperties()!.toJavaScript()).toMatchObject({ rateLimit: { rpm: 120, tpm: 6000 } });

    // Import: a Read with the id alone, then the program's inputs diff clean against what it produced.
    for (const [type, resourceId, program] of [
      ['ModelUnitEndpoint', id, faster],
      ['CustomModel', modelId, undefined],
    ] as const) {
      const read = await rpc('read', new provproto.ReadRequest().setUrn(urn(type, 'imported')).setId(resourceId));
      expect(read.getId()).toBe(resourceId);
      const importedInputs = read.getInputs()!.toJavaScript();
      const news = (await check(type, 'imported', program ? { ...program } : importedInputs)).inputs;
      expect(await diff(type, 'imported', resourceId, read.getProperties()!.toJavaScript(), news)).toMatchObject({
        changes: provproto.DiffResponse.DiffChanges.DIFF_NONE,
      });
    }

    await rpc('delete', new provproto.DeleteRequest().setUrn(urn('ModelUnitEndpoint', 'chat')).setId(id).setProperties(struct(outs)));
    const gone = await rpc('read', new provproto.ReadRequest().setUrn(urn('ModelUnitEndpoint', 'chat')).setId(id).setProperties(struct(outs)));
    expect(gone.getId()).toBe('');
  });

  test('an imported custom model keeps its Ark name and a digest standing for its current content', async () => {
    const read = await rpc('read', new provproto.ReadRequest().setUrn(urn('CustomModel', 'imported')).setId(modelId));
    expect(read.getInputs()!.toJavaScript()).toMatchObject({
      name: modelOuts.modelName,
      contentDigest: `imported:${modelId}`,
      baseModel: 'Qwen2.5-0.5B',
      location,
      owner: 'proj/dev/imported',
    });
  });

  test('a TosModelDir import is refused with a clear message', async () => {
    const error = await rpc('read', new provproto.ReadRequest().setUrn(urn('TosModelDir', 'w')).setId(location)).catch((e) => e);
    expect(error.details).toMatch(/^TosModelDir cannot be imported/);
  });

  test("the engine's ExistsResource: a Read by id with a made-up URN and no state answers whether the object is there", async () => {
    // Shaped as the engine (3.269+, pkg/resource/deploy/source_eval.go) sends it for a generated SDK's static
    // `exists()`: URN name `__exists__<n>`, empty state, inputs only when the caller passed some. The engine reads
    // the answer off the properties alone: absent is gone, empty is unknown, anything else exists.
    const exists = async (type: string, id: string, inputs?: object) => {
      const req = new provproto.ReadRequest().setUrn(urn(type, '__exists__7')).setId(id).setProperties(struct({}));
      const res = await rpc('read', inputs ? req.setInputs(struct(inputs)) : req);
      expect(res.hasInputs()).toBe(false); // nothing is imported
      const props = res.getProperties()?.toJavaScript();
      if (props) expect(Object.keys(props).length).toBeGreaterThan(0);
      return props !== undefined;
    };
    const epInputs = (await check('ModelUnitEndpoint', 'probe', { name: 'probe', customModelId: modelId, modelUnitId })).inputs;
    const { id: endpointId, outs } = await create('ModelUnitEndpoint', 'probe', epInputs);

    expect(await exists('CustomModel', modelId)).toBe(true);
    expect(await exists('CustomModel', modelId, { name: 'whatever the caller says' })).toBe(true);
    expect(await exists('CustomModel', 'cm-no-such-model')).toBe(false);
    expect(await exists('ModelUnitEndpoint', endpointId)).toBe(true);
    expect(await exists('TosModelDir', location)).toBe(true);
    expect(await exists('TosModelDir', 'tos://models/nothing-here/')).toBe(false);
    expect(await exists('TosModelDir', 'tos://no-such-bucket/native/')).toBe(false);
    expect(await exists('TosModelDir', 'not a location')).toBe(false);

    await rpc('delete', new provproto.DeleteRequest().setUrn(urn('ModelUnitEndpoint', 'probe')).setId(endpointId).setProperties(struct(outs)));
    expect(await exists('ModelUnitEndpoint', endpointId)).toBe(false);
  });

  test('the engine timeout wins over the resource default and a timed-out create keeps its id', async () => {
    await fx.ark.admin.setTransitions({ mode: 'after-seconds', seconds: 600 });
    try {
      const inputs = (await check('ModelUnitEndpoint', 'slow', { name: 'slow', customModelId: modelId, modelUnitId })).inputs;
      const error: grpc.ServiceError = await create('ModelUnitEndpoint', 'slow', inputs, 1).catch((e) => e);
      expect(error.details).toMatch(/timeout|timed out|after/i);
      const detail = initFailure(error);
      expect(detail?.getId()).toMatch(/^ep-/);
      expect(detail?.getProperties()?.toJavaScript()).toMatchObject({ status: 'Scheduling', owner: 'proj/dev/slow' });
    } finally {
      await fx.ark.admin.setTransitions({ mode: 'immediate' });
    }
  });
});
