import * as pulumi from '@pulumi/pulumi';
import { ownerTag } from '../adapter-core';

/** Resource kinds served by the provider runtime; also the `type` part of each Pulumi type token. */
export type ResourceKind = 'TosModelDir' | 'CustomModel' | 'ModelUnitEndpoint';

/** Type tokens are `pulumi-nodejs:dynamic/ark:<Kind>`. */
export const DYNAMIC_MODULE = 'ark';

/**
 * The thin shim stored in state as `__provider`: the CommonJS module the dynamic-provider process loads with
 * require-from-string, whose `handler()` returns the provider. It holds only the kind; every method loads the
 * installed implementation lazily BY PACKAGE NAME (`pulumi-ark/provider-runtime`, see provider/runtime.ts) and
 * delegates. So state stays small and stable, no credentials, clients or schemas are ever captured, and
 * refresh/delete always run the code that is installed now (pulumi-notes.md §0.2).
 *
 * Written out as text rather than produced by Pulumi's closure serializer (`pulumi.dynamic.Resource`): the
 * serializer cost ~0.2 s per kind in every program run, and its output depended on how the shim happened to be
 * compiled. This text changes only when this template does; states written by earlier versions (serialized
 * closures calling the same `configure`/`dispatch`) keep working, see dynamic-shim.test.ts and
 * tests/e2e/legacy-shim.test.ts. The config keys are settings.ts's STACK_CONFIG_KEYS (a unit test holds them equal).
 */
const SHIM_TEMPLATE = `'use strict';
// pulumi-ark dynamic-provider shim: the installed pulumi-ark does the work, loaded by package name at each call.
const kind = __KIND__;
const runtime = () => require('pulumi-ark/provider-runtime');
const provider = {
  async configure(req) {
    const config = {};
    for (const key of ['accessKey', 'secretKey', 'region', 'endpoint', 'tosEndpoint', 'chatBaseUrl', 'hubEndpoint', 'hubToken']) config[key] = req.config.get('ark:' + key);
    runtime().configure(config);
  },
  check: async (olds, news) => runtime().dispatch(kind, 'check', [olds, news]),
  diff: async (id, olds, news) => runtime().dispatch(kind, 'diff', [id, olds, news]),
  create: async (inputs) => runtime().dispatch(kind, 'create', [inputs]),
  read: async (id, props) => runtime().dispatch(kind, 'read', [id, props]),
  update: async (id, olds, news) => runtime().dispatch(kind, 'update', [id, olds, news]),
  delete: async (id, props) => runtime().dispatch(kind, 'delete', [id, props]),
};
exports.handler = () => provider;
`;

/** The `__provider` text of one kind (see SHIM_TEMPLATE). */
export function shimSource(kind: ResourceKind): string {
  return SHIM_TEMPLATE.replace('__KIND__', JSON.stringify(kind));
}

/**
 * Base of the three resource classes: a dynamic resource (type `pulumi-nodejs:dynamic/ark:<Kind>`, served by
 * the engine's `pulumi-nodejs` provider) exactly as `pulumi.dynamic.Resource` makes one, except that
 * `__provider` is the fixed shim text instead of a closure serialized at every construction.
 */
export abstract class ArkDynamicResource extends pulumi.CustomResource {
  protected constructor(kind: ResourceKind, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(`pulumi-nodejs:dynamic/${DYNAMIC_MODULE}:${kind}`, name, { ...props, __provider: shimSource(kind) }, opts);
  }
}

/**
 * The owner tag value a resource class passes as its `owner` input: project, stack and resource name. Create
 * uses it to find a resource it made earlier (a killed `pulumi up`) and adopt it instead of making a second.
 */
export function ownerTagFor(resourceName: string): string {
  return ownerTag(pulumi.getProject(), pulumi.getStack(), resourceName);
}

/** Tag key under which `ownerTagFor` values are stored on Ark resources and TOS object metadata. */
export const OWNER_TAG_KEY = 'pulumi-ark-owner';
