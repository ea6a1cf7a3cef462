import * as pulumi from '@pulumi/pulumi';
import { ownerTag } from '../adapter-core';

/** Resource kinds served by the provider runtime; also the `type` part of each Pulumi type token. */
export type ResourceKind = 'TosModelDir' | 'CustomModel' | 'ModelUnitEndpoint';

/** Type tokens are `pulumi-nodejs:dynamic/ark:<Kind>`. */
export const DYNAMIC_MODULE = 'ark';

/**
 * The thin shim Pulumi serializes into state as `__provider`. It captures only the kind string; every method
 * loads the installed implementation lazily BY PACKAGE NAME (`pulumi-ark/provider-runtime`, see
 * provider/runtime.ts) and delegates. So state stays small and stable, no credentials, clients or schemas are
 * ever captured, and refresh/delete always run the code that is installed now (pulumi-notes.md §0.2).
 *
 * Do not import anything into the method bodies from this module's scope except `kind`: the closure
 * serializer would capture it by value.
 */
export function dynamicProviderFor(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  return {
    async configure(req) {
      const config: Record<string, string | undefined> = {};
      for (const key of ['accessKey', 'secretKey', 'region', 'endpoint', 'tosEndpoint', 'chatBaseUrl']) {
        config[key] = req.config.get(`ark:${key}`);
      }
      require('pulumi-ark/provider-runtime').configure(config);
    },
    async check(olds, news) {
      return require('pulumi-ark/provider-runtime').dispatch(kind, 'check', [olds, news]);
    },
    async diff(id, olds, news) {
      return require('pulumi-ark/provider-runtime').dispatch(kind, 'diff', [id, olds, news]);
    },
    async create(inputs) {
      return require('pulumi-ark/provider-runtime').dispatch(kind, 'create', [inputs]);
    },
    async read(id, props) {
      return require('pulumi-ark/provider-runtime').dispatch(kind, 'read', [id, props]);
    },
    async update(id, olds, news) {
      return require('pulumi-ark/provider-runtime').dispatch(kind, 'update', [id, olds, news]);
    },
    async delete(id, props) {
      return require('pulumi-ark/provider-runtime').dispatch(kind, 'delete', [id, props]);
    },
  };
}

const shims = new Map<ResourceKind, pulumi.dynamic.ResourceProvider>();

/** One shared provider object per kind: the serializer caches by object identity, so this serializes once. */
export function shimFor(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  let shim = shims.get(kind);
  if (!shim) {
    shim = dynamicProviderFor(kind);
    shims.set(kind, shim);
  }
  return shim;
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
