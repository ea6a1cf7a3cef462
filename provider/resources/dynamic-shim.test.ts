import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { STACK_CONFIG_KEYS } from '../settings';
import { shimSource, type ResourceKind } from './dynamic-shim';

const KINDS: ResourceKind[] = ['TosModelDir', 'CustomModel', 'ModelUnitEndpoint'];
const RUNTIME = 'pulumi-ark/provider-runtime';

/** The loader @pulumi/pulumi's dynamic-provider process uses for `__provider` (its own dependency, found from it). */
const requireFromString = require(require.resolve('require-from-string', { paths: [path.dirname(require.resolve('@pulumi/pulumi'))] })) as (
  code: string,
) => { handler: () => pulumi.dynamic.ResourceProvider };

interface FakeRuntime {
  /** How often the shim asked for the runtime. */
  required: number;
  configured: Record<string, string | undefined>[];
  dispatched: [string, string, unknown[]][];
}

/**
 * Loads a `__provider` text the way the dynamic-provider process does (a CommonJS module whose `handler()`
 * returns the provider), with a `require` that serves a recording runtime for `pulumi-ark/provider-runtime`
 * and refuses everything else: a shim must load nothing but the runtime, by package name.
 */
function loadShim(text: string): { provider: pulumi.dynamic.ResourceProvider; runtime: FakeRuntime } {
  const runtime: FakeRuntime = { required: 0, configured: [], dispatched: [] };
  const fakeRuntime = {
    configure: (config: Record<string, string | undefined>) => runtime.configured.push(config),
    dispatch: async (kind: string, method: string, args: unknown[]) => {
      runtime.dispatched.push([kind, method, args]);
      return { answeredBy: method };
    },
  };
  const fakeRequire = (id: string) => {
    if (id !== RUNTIME) throw new Error(`the shim required "${id}"`);
    runtime.required++;
    return fakeRuntime;
  };
  const module = { exports: {} as { handler: () => pulumi.dynamic.ResourceProvider } };
  new Function('exports', 'require', 'module', text)(module.exports, fakeRequire, module);
  return { provider: module.exports.handler(), runtime };
}

/** Calls every method and returns what the runtime saw. */
async function exercise(text: string): Promise<FakeRuntime & { results: unknown[] }> {
  const { provider, runtime } = loadShim(text);
  const config = { get: (key: string) => (key.startsWith('ark:') ? `value of ${key}` : undefined) };
  await provider.configure!({ config } as unknown as pulumi.dynamic.ConfigureRequest);
  const results = [
    await provider.check!({ a: 1 }, { a: 2 }),
    await provider.diff!('id-1', { a: 1 }, { a: 2 }),
    await provider.create({ a: 2 }),
    await provider.read!('id-1', { a: 2 }),
    await provider.update!('id-1', { a: 1 }, { a: 2 }),
    await provider.delete!('id-1', { a: 2 }),
  ];
  return { ...runtime, results };
}

const expectedCalls = (kind: string) => [
  [kind, 'check', [{ a: 1 }, { a: 2 }]],
  [kind, 'diff', ['id-1', { a: 1 }, { a: 2 }]],
  [kind, 'create', [{ a: 2 }]],
  [kind, 'read', ['id-1', { a: 2 }]],
  [kind, 'update', ['id-1', { a: 1 }, { a: 2 }]],
  [kind, 'delete', ['id-1', { a: 2 }]],
];

const everyArkKey = Object.fromEntries(STACK_CONFIG_KEYS.map((key) => [key, `value of ark:${key}`]));

describe('shimSource', () => {
  it.each(KINDS)('%s: every method dispatches to the installed runtime with the kind and its arguments', async (kind) => {
    const seen = await exercise(shimSource(kind));
    expect(seen.dispatched).toEqual(expectedCalls(kind));
    expect(seen.results).toEqual([{ answeredBy: 'check' }, { answeredBy: 'diff' }, { answeredBy: 'create' }, { answeredBy: 'read' }, { answeredBy: 'update' }, { answeredBy: 'delete' }]);
  });

  it('configure hands the runtime exactly the ark:* keys settings.ts reads, namespace stripped', async () => {
    const seen = await exercise(shimSource('TosModelDir'));
    expect(seen.configured).toEqual([everyArkKey]);
  });

  it('holds nothing but the kind: the three texts differ only in it', () => {
    const [first, ...others] = KINDS.map((kind) => shimSource(kind).replace(JSON.stringify(kind), '"KIND"'));
    for (const other of others) expect(other).toBe(first);
  });

  it('loads the runtime at each call, not when the shim is loaded (so refresh and destroy run the installed code)', async () => {
    const { provider, runtime } = loadShim(shimSource('CustomModel'));
    expect(runtime.required).toBe(0);
    await provider.check!({}, {});
    await provider.diff!('id', {}, {});
    expect(runtime.required).toBe(2);
  });

  it('is what the dynamic-provider process can load (require-from-string, handler() returns the provider)', () => {
    const provider = requireFromString(shimSource('ModelUnitEndpoint')).handler();
    expect(Object.keys(provider).sort()).toEqual(['check', 'configure', 'create', 'delete', 'diff', 'read', 'update']);
  });
});

describe('states written by pulumi-ark 0.1.0 (closure-serialized shims)', () => {
  // The exact __provider texts `pulumi up` stored with 0.1.0 (legacy-shims/); stacks deployed then carry them in
  // state, and refresh/destroy deserialize them, so the runtime must keep answering the calls they make.
  it.each(KINDS)('%s: the stored text makes the same runtime calls as the current shim', async (kind) => {
    const legacy = fs.readFileSync(path.join(__dirname, 'legacy-shims', `0.1.0-${kind}.js`), 'utf8');
    const seen = await exercise(legacy);
    const current = await exercise(shimSource(kind));
    expect(seen.dispatched).toEqual(current.dispatched);
    // 0.1.0 read the keys that existed then; the hub's came later (its settings then come from HF_ENDPOINT/HF_TOKEN).
    const hubKeys = new Set(['hubEndpoint', 'hubToken']);
    expect(seen.configured).toEqual(current.configured.map((config) => Object.fromEntries(Object.entries(config).filter(([key]) => !hubKeys.has(key)))));
    expect(seen.results).toEqual(current.results);
  });

  it('the installed runtime still exports the two functions those texts call', () => {
    const runtime = require('../runtime') as Record<string, unknown>;
    expect(typeof runtime.configure).toBe('function');
    expect(typeof runtime.dispatch).toBe('function');
  });
});

describe('the resource classes', () => {
  const registered: pulumi.runtime.MockResourceArgs[] = [];
  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push(args);
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: () => ({}),
      },
      'proj',
      'stack',
    );
  });

  it('register dynamic resources whose __provider is the shim text of their kind', async () => {
    // Imported after setMocks, as Pulumi's mock documentation requires.
    const ark = await import('../../index');
    const resources = [
      new ark.TosModelDir('w', { source: '/m', bucket: 'b', prefix: 'p/', baseModel: 'Qwen2.5-7B' }),
      new ark.CustomModel('m', { name: 'n', baseModel: 'Qwen2.5-7B', location: 'tos://b/p/', contentDigest: 'sha256:0' }),
      new ark.ModelUnitEndpoint('e', { name: 'n', customModelId: 'cm-1', modelUnitId: 'mu-1' }),
    ];
    await new Promise((resolve) => pulumi.all(resources.map((r) => r.id)).apply(resolve));
    const byName = Object.fromEntries(registered.map((r) => [r.name, r]));
    expect(byName.w).toMatchObject({ type: 'pulumi-nodejs:dynamic/ark:TosModelDir', inputs: { __provider: shimSource('TosModelDir'), owner: 'proj/stack/w' } });
    expect(byName.m).toMatchObject({ type: 'pulumi-nodejs:dynamic/ark:CustomModel', inputs: { __provider: shimSource('CustomModel'), owner: 'proj/stack/m' } });
    expect(byName.e).toMatchObject({ type: 'pulumi-nodejs:dynamic/ark:ModelUnitEndpoint', inputs: { __provider: shimSource('ModelUnitEndpoint'), owner: 'proj/stack/e' } });
  });
});
