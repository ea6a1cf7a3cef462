import * as grpc from '@grpc/grpc-js';
import * as structproto from 'google-protobuf/google/protobuf/struct_pb';
import * as emptyproto from 'google-protobuf/google/protobuf/empty_pb';
import * as provproto from '@pulumi/pulumi/proto/provider_pb';
import { ownerTagFromUrn } from '../adapter-core';
import type { ControllerContext, ResourceController } from '../resources/controller';
import { engineAddressFrom } from './main';
import { fromStruct, toStruct } from './marshal';
import { createNativeProvider, diffResponse } from './server';

const SECRET = { '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270' };
const struct = (value: object) => structproto.Struct.fromJavaScript(value as Record<string, structproto.JavaScriptValue>);

describe('marshal', () => {
  it('unwraps secrets for the controllers and wraps the same top-level outputs again', () => {
    const { props, secretKeys } = fromStruct(struct({ name: 'a', tags: { team: { ...SECRET, value: 'x' } }, token: { ...SECRET, value: 's' } }));
    expect(props).toEqual({ name: 'a', tags: { team: 'x' }, token: 's' });
    expect([...secretKeys].sort()).toEqual(['tags', 'token']);
    expect(toStruct({ name: 'a', token: 's', gone: undefined }, secretKeys).toJavaScript()).toEqual({ name: 'a', token: { ...SECRET, value: 's' } });
  });
});

describe('owner and arguments', () => {
  it('reads project, stack and name from a URN, also under a parent', () => {
    expect(ownerTagFromUrn('urn:pulumi:dev::proj::ark:index:CustomModel::m')).toBe('proj/dev/m');
    expect(ownerTagFromUrn('urn:pulumi:dev::proj::my:Comp$ark:index:CustomModel::m')).toBe('proj/dev/m');
    expect(() => ownerTagFromUrn('nope')).toThrow(/cannot read project, stack and name/);
  });

  it('finds the engine address after the engine flags', () => {
    expect(engineAddressFrom(['--logtostderr', '-v=9', '--tracing', 'http://t', '127.0.0.1:5'])).toBe('127.0.0.1:5');
    expect(engineAddressFrom([])).toBeUndefined();
  });
});

describe('diffResponse', () => {
  const Kind = provproto.PropertyDiff.Kind;
  const kinds = (res: provproto.DiffResponse) => {
    const out: Record<string, number> = {};
    res.getDetaileddiffMap().forEach((value, key) => (out[key] = value.getKind()));
    return out;
  };

  it('marks replacing properties update-replace, added and removed ones add/delete', () => {
    const res = diffResponse(
      { changes: true, changed: ['customModelId', 'description', 'rateLimit'], replaces: ['customModelId'] },
      { customModelId: 'a', rateLimit: { rpm: 1 } },
      { customModelId: 'b', description: 'new' },
    );
    expect(kinds(res)).toEqual({ customModelId: Kind.UPDATE_REPLACE, description: Kind.ADD, rateLimit: Kind.DELETE });
    expect(res.getReplacesList()).toEqual(['customModelId']);
    expect(res.getHasdetaileddiff()).toBe(true);
  });

  it('sends no detailed diff for a change that names no property (an endpoint found Stopped)', () => {
    const res = diffResponse({ changes: true, changed: [], replaces: [] }, {}, {});
    expect(res.getChanges()).toBe(provproto.DiffResponse.DiffChanges.DIFF_SOME);
    expect(res.getHasdetaileddiff()).toBe(false);
  });
});

describe('the service', () => {
  let seen: ControllerContext[] = [];
  let reads: string[] = [];
  const controller: ResourceController<Record<string, unknown>, Record<string, unknown>> = {
    check: async (_o, news) => ({ inputs: news }),
    diff: async () => ({ changes: false }),
    create: async (inputs, ctx) => {
      seen.push(ctx);
      return { id: 'id-1', outs: inputs };
    },
    read: async (id, props) => {
      reads.push(`read ${id}`);
      return { id, props: { ...props, fresh: true } };
    },
    exists: async (id) => {
      reads.push(`exists ${id}`);
      return id === 'id-1';
    },
    update: async (_id, _o, news, ctx) => {
      seen.push(ctx);
      return { outs: news };
    },
    delete: async (_id, _p, ctx) => void seen.push(ctx),
  };
  const provider = () =>
    createNativeProvider({
      registry: { CustomModel: controller },
      version: '1.0.0',
      schema: '{}',
      log: { forResource: () => ({ info: () => undefined, warn: () => undefined }) },
      env: () => ({}),
    });
  const call = <T>(service: grpc.UntypedServiceImplementation, method: string, request: unknown) =>
    new Promise<T>((resolve, reject) =>
      (service[method] as (c: unknown, cb: (e: unknown, r: T) => void) => void)({ request }, (e, r) => (e ? reject(e) : resolve(r))),
    );
  const urn = 'urn:pulumi:dev::proj::ark:index:CustomModel::m';

  beforeEach(() => {
    seen = [];
    reads = [];
  });

  it('passes the engine timeout of each operation, and none when the engine sets none', async () => {
    const { service } = provider();
    await call(service, 'create', new provproto.CreateRequest().setUrn(urn).setProperties(struct({ a: 1 })).setTimeout(90));
    await call(service, 'update', new provproto.UpdateRequest().setUrn(urn).setId('id-1').setOlds(struct({})).setNews(struct({})).setTimeout(30));
    await call(service, 'delete', new provproto.DeleteRequest().setUrn(urn).setId('id-1').setProperties(struct({})));
    expect(seen.map((ctx) => ctx.timeouts)).toEqual([{ create: 90 }, { update: 30 }, undefined]);
  });

  it("answers the engine's ExistsResource read from exists(), and a refresh of a resource so named from read()", async () => {
    const { service } = provider();
    const existsUrn = 'urn:pulumi:dev::proj::ark:index:CustomModel::__exists__1';
    const ask = (id: string, state: object) =>
      call<provproto.ReadResponse>(service, 'read', new provproto.ReadRequest().setUrn(existsUrn).setId(id).setProperties(struct(state)).setInputs(struct({ a: 1 })));
    const found = await ask('id-1', {});
    expect([found.getId(), found.getProperties()?.toJavaScript(), found.hasInputs()]).toEqual(['id-1', { id: 'id-1' }, false]);
    const gone = await ask('id-2', {});
    expect([gone.getId(), gone.hasProperties()]).toEqual(['', false]);
    const refreshed = await ask('id-3', { a: 1 });
    expect(refreshed.getProperties()?.toJavaScript()).toEqual({ a: 1, fresh: true, owner: 'proj/dev/__exists__1' });
    expect(reads).toEqual(['exists id-1', 'exists id-2', 'read id-3']);
  });

  it('aborts the signal of running operations on Cancel', async () => {
    const { service } = provider();
    await call(service, 'create', new provproto.CreateRequest().setUrn(urn).setProperties(struct({})));
    expect(seen[0]!.signal?.aborted).toBe(false);
    await call(service, 'cancel', new emptyproto.Empty());
    expect(seen[0]!.signal?.aborted).toBe(true);
  });

  it('refuses a type it does not serve, naming the ones it does', async () => {
    const { service } = provider();
    const error = (await call(service, 'check', new provproto.CheckRequest().setUrn('urn:pulumi:dev::proj::ark:index:Nope::n')).catch((e) => e)) as grpc.StatusObject;
    expect(error.details).toBe('pulumi-resource-ark serves no resource type "ark:index:Nope" (it serves: ark:index:CustomModel).');
  });
});
