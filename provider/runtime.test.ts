import { PartialFailureError, type ControllerContext, type ResourceController } from './resources/controller';
import { CONTROLLERS, createRuntime } from './runtime';

type Props = Record<string, unknown>;

/** A controller that records what it was given and hands back what the test scripts. */
function recordingController() {
  const calls: { method: string; args: unknown[] }[] = [];
  let lastCtx: ControllerContext | undefined;
  const record = (method: string, args: unknown[], ctx: ControllerContext) => {
    calls.push({ method, args });
    lastCtx = ctx;
  };
  const controller: ResourceController<Props, Props> & { failCreate?: Error; readResult?: object } = {
    async check(olds, news, ctx) {
      record('check', [olds, news], ctx);
      return { inputs: news as Props };
    },
    async diff(id, olds, news, ctx) {
      record('diff', [id, olds, news], ctx);
      return { changes: true, replaces: ['bucket'] };
    },
    async create(inputs, ctx) {
      record('create', [inputs], ctx);
      if (controller.failCreate) throw controller.failCreate;
      return { id: 'id-1', outs: { ...inputs, location: 'tos://b/p/' } };
    },
    async read(id, props, ctx) {
      record('read', [id, props], ctx);
      return controller.readResult ?? { id, props: { ...props, fresh: true }, inputs: { bucket: 'b' } };
    },
    async exists(id, ctx) {
      record('exists', [id], ctx);
      return true;
    },
    async update(id, olds, news, ctx) {
      record('update', [id, olds, news], ctx);
      return { outs: { ...news, updated: true } };
    },
    async delete(id, props, ctx) {
      record('delete', [id, props], ctx);
    },
  };
  return { controller, calls, ctx: () => lastCtx! };
}

const OLD_PROVIDER = 'exports.handler = old';
const NEW_PROVIDER = 'exports.handler = new';

function setup(env: Record<string, string | undefined> = {}) {
  const rec = recordingController();
  const logged: string[] = [];
  const runtime = createRuntime({
    registry: { TosModelDir: rec.controller },
    env: () => env,
    log: (kind) => ({ info: (m) => logged.push(`${kind} ${m}`), warn: (m) => logged.push(`${kind} warn ${m}`) }),
  });
  return { ...rec, runtime, logged, env };
}

describe('dispatch', () => {
  it('strips __provider and other internal keys from every argument', async () => {
    const { runtime, calls } = setup();
    const olds = { bucket: 'a', __provider: OLD_PROVIDER, __defaults: [] };
    const news = { bucket: 'b', __provider: NEW_PROVIDER };
    await runtime.dispatch('TosModelDir', 'check', [olds, news]);
    await runtime.dispatch('TosModelDir', 'diff', ['id-1', olds, news]);
    await runtime.dispatch('TosModelDir', 'create', [news]);
    await runtime.dispatch('TosModelDir', 'read', ['id-1', olds]);
    await runtime.dispatch('TosModelDir', 'update', ['id-1', olds, news]);
    await runtime.dispatch('TosModelDir', 'delete', ['id-1', olds]);
    expect(calls.map((c) => c.method)).toEqual(['check', 'diff', 'create', 'read', 'update', 'delete']);
    expect(JSON.stringify(calls)).not.toMatch(/__/);
    expect(calls[1].args).toEqual(['id-1', { bucket: 'a' }, { bucket: 'b' }]);
  });

  it('tolerates check without olds (a first create)', async () => {
    const { runtime, calls } = setup();
    await runtime.dispatch('TosModelDir', 'check', [undefined, { bucket: 'b', __provider: NEW_PROVIDER }]);
    expect(calls[0].args).toEqual([{}, { bucket: 'b' }]);
  });

  it('puts __provider back into create and update outputs, from the inputs that carried it', async () => {
    const { runtime } = setup();
    const created = await runtime.dispatch('TosModelDir', 'create', [{ bucket: 'b', __provider: NEW_PROVIDER }]);
    expect(created).toEqual({ id: 'id-1', outs: { bucket: 'b', location: 'tos://b/p/', __provider: NEW_PROVIDER } });
    const updated = await runtime.dispatch('TosModelDir', 'update', [
      'id-1',
      { bucket: 'a', __provider: OLD_PROVIDER },
      { bucket: 'b', __provider: NEW_PROVIDER },
    ]);
    expect(updated).toEqual({ outs: { bucket: 'b', updated: true, __provider: NEW_PROVIDER } });
  });

  it('puts __provider back into refreshed props and inputs', async () => {
    const { runtime } = setup();
    const read = await runtime.dispatch('TosModelDir', 'read', ['id-1', { bucket: 'b', __provider: OLD_PROVIDER }]);
    expect(read).toEqual({
      id: 'id-1',
      props: { bucket: 'b', fresh: true, __provider: OLD_PROVIDER },
      inputs: { bucket: 'b', __provider: OLD_PROVIDER },
    });
  });

  it('returns a vanished resource as a result without id, so the engine drops it', async () => {
    const { runtime, controller } = setup();
    controller.readResult = {};
    expect(await runtime.dispatch('TosModelDir', 'read', ['id-1', { __provider: OLD_PROVIDER }])).toEqual({});
  });

  it('adds __provider to the properties of a partial failure and keeps its id and reasons', async () => {
    const { runtime, controller } = setup();
    controller.failCreate = new PartialFailureError('ep-1', { status: 'Abnormal' }, 'endpoint ep-1 became Abnormal: no capacity');
    const err = await runtime.dispatch('TosModelDir', 'create', [{ __provider: NEW_PROVIDER }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialFailureError);
    expect(err).toMatchObject({
      id: 'ep-1',
      properties: { status: 'Abnormal', __provider: NEW_PROVIDER },
      reasons: ['endpoint ep-1 became Abnormal: no capacity'],
    });
  });

  it('passes other errors through unchanged', async () => {
    const { runtime, controller } = setup();
    controller.failCreate = new Error('bucket "x" does not exist');
    await expect(runtime.dispatch('TosModelDir', 'create', [{ __provider: NEW_PROVIDER }])).rejects.toThrow('bucket "x" does not exist');
  });

  it('names the served kinds when asked for one it does not have', async () => {
    const { runtime } = setup();
    await expect(runtime.dispatch('ModelUnitEndpoint', 'create', [{}])).rejects.toThrow(
      'pulumi-ark has no controller for resource kind "ModelUnitEndpoint" (this build serves: TosModelDir).',
    );
  });

  it('routes the controller log through the sink for its kind', async () => {
    const { runtime, ctx, logged } = setup();
    await runtime.dispatch('TosModelDir', 'diff', ['id-1', {}, {}]);
    ctx().log.info('uploading 3 files');
    ctx().log.warn('slow');
    expect(logged).toEqual(['TosModelDir uploading 3 files', 'TosModelDir warn slow']);
  });
});

describe('settings through the controller context', () => {
  it('uses the configured stack config, resolved when the controller asks', async () => {
    const { runtime, ctx } = setup({ VOLCENGINE_ACCESS_KEY: 'AK-env', VOLCENGINE_SECRET_KEY: 'SK-env' });
    runtime.configure({ accessKey: 'AK-config', secretKey: 'SK-config', endpoint: 'http://127.0.0.1:9000', unrelated: 'x' });
    await runtime.dispatch('TosModelDir', 'diff', ['id-1', {}, {}]);
    expect(ctx().settings()).toMatchObject({ accessKeyId: 'AK-config', secretAccessKey: 'SK-config', arkEndpoint: 'http://127.0.0.1:9000' });
  });

  it('falls back to the environment and reads it at call time, not at configure time', async () => {
    const { runtime, ctx, env } = setup();
    runtime.configure({});
    await runtime.dispatch('TosModelDir', 'diff', ['id-1', {}, {}]);
    expect(() => ctx().settings()).toThrow(/Ark credentials are not set/);
    env.VOLC_ACCESSKEY = 'AK-late';
    env.VOLC_SECRETKEY = 'SK-late';
    expect(ctx().settings().accessKeyId).toBe('AK-late');
  });
});

describe('the package registry', () => {
  it('serves every resource kind the shim can send', () => {
    expect(Object.keys(CONTROLLERS).sort()).toEqual(['CustomModel', 'ModelUnitEndpoint', 'TosModelDir']);
  });
});

describe('wire shape of results', () => {
  it('drops undefined values (protobuf Struct cannot carry them) from outputs, refreshed props and failures', async () => {
    const { runtime, controller } = setup();
    controller.create = async () => ({ id: 'id-1', outs: { a: 1, gone: undefined, nested: { keep: 'x', gone: undefined } } });
    const created = (await runtime.dispatch('TosModelDir', 'create', [{ __provider: NEW_PROVIDER }])) as { outs: Props };
    expect(created.outs).toEqual({ a: 1, nested: { keep: 'x' }, __provider: NEW_PROVIDER });
    expect(Object.keys(created.outs)).not.toContain('gone');

    controller.check = async () => ({ inputs: { bucket: 'b', description: undefined } });
    const checked = (await runtime.dispatch('TosModelDir', 'check', [{}, { __provider: NEW_PROVIDER }])) as { inputs: Props };
    expect(Object.keys(checked.inputs)).toEqual(['bucket']);

    controller.create = async () => {
      throw new PartialFailureError('ep-1', { statusReason: undefined, status: 'Abnormal' }, 'Abnormal');
    };
    const err = (await runtime.dispatch('TosModelDir', 'create', [{ __provider: NEW_PROVIDER }]).catch((e: unknown) => e)) as PartialFailureError;
    expect(Object.keys(err.properties).sort()).toEqual(['__provider', 'status']);
  });
});

describe('dispatch with an engine watch', () => {
  it('hands the watch signal to controllers, tracks every call, and refuses calls once the engine is gone', async () => {
    const rec = recordingController();
    const controller = new AbortController();
    const tracked: Promise<unknown>[] = [];
    // As provider/engine-watch.ts does: refuse once the engine is gone, else start and count the work.
    const track = <T>(work: () => Promise<T>): Promise<T> => {
      controller.signal.throwIfAborted();
      const started = work();
      tracked.push(started);
      return started;
    };
    const runtime = createRuntime({
      registry: { TosModelDir: rec.controller },
      env: () => ({}),
      log: () => ({ info: () => undefined, warn: () => undefined }),
      engine: { signal: controller.signal, track },
    });
    await runtime.dispatch('TosModelDir', 'delete', ['id-1', {}]);
    expect(rec.ctx().signal).toBe(controller.signal);
    expect(tracked).toHaveLength(1);

    controller.abort(new Error('engine gone'));
    await expect(runtime.dispatch('TosModelDir', 'delete', ['id-1', {}])).rejects.toThrow('engine gone');
    expect(rec.calls).toHaveLength(1);
  });
});
