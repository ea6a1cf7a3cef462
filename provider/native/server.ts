/**
 * The native adapter: Pulumi's ResourceProvider gRPC service over the resource controllers, so YAML, Python
 * and every other Pulumi language (and `pulumi import`) reach the same code as the TypeScript dynamic
 * resources. Like `runtime.ts` it only translates: protobuf Structs to plain props (marshal.ts), the URN to the
 * `owner` input, the engine's `timeout` fields to ControllerContext.timeouts, Cancel and a vanished engine to
 * ControllerContext.signal, DiffResult to a detailed diff, PartialFailureError to ErrorResourceInitFailed.
 *
 * Written over the stubs in `@pulumi/pulumi/proto` rather than `@pulumi/pulumi/provider`'s `main`: that server
 * passes no configuration, sends no detailed diff and no timeouts, and prints every failure with its stack
 * trace (docs/architecture.md).
 */
import * as grpc from '@grpc/grpc-js';
import * as anyproto from 'google-protobuf/google/protobuf/any_pb';
import * as emptyproto from 'google-protobuf/google/protobuf/empty_pb';
import * as plugproto from '@pulumi/pulumi/proto/plugin_pb';
import * as provrpc from '@pulumi/pulumi/proto/provider_grpc_pb';
import * as provproto from '@pulumi/pulumi/proto/provider_pb';
import * as statusproto from '@pulumi/pulumi/proto/status_pb';
import { controllerContext, ownerTagFromUrn, stackConfigFrom, stripInternalKeys, type Props } from '../adapter-core';
import { PartialFailureError, type ControllerContext, type DiffResult, type OperationTimeouts } from '../resources/controller';
import type { ResourceKind } from '../resources/dynamic-shim';
import type { ControllerRegistry } from '../resources/registry';
import type { StackConfig } from '../settings';
import type { EngineLog } from './engine-log';
import { fromStruct, toStruct } from './marshal';
import type { EngineWatch } from '../engine-watch';

export const PACKAGE = 'ark';

export interface NativeProviderOptions {
  registry: ControllerRegistry;
  version: string;
  schema: string;
  log: EngineLog;
  /** Read at every call so credentials are never cached; defaults to `process.env`. */
  env?: () => Readonly<Record<string, string | undefined>>;
  /**
   * The engine watch (provider/engine-watch.ts): its signal aborts every operation once the engine is gone, and
   * each call is tracked so the process exits as soon as the aborted calls have settled.
   */
  engine?: Pick<EngineWatch, 'signal' | 'track'>;
}

export interface NativeProvider {
  /** The service implementation to add to a gRPC server. */
  service: grpc.UntypedServiceImplementation;
}

type Call<Req> = grpc.ServerUnaryCall<Req, unknown>;
type Callback = grpc.sendUnaryData<unknown>;

/** The resource kind of a type token `ark:index:<Kind>`. */
export function kindOf(type: string): string {
  const [pkg, module, kind] = type.split(':');
  return pkg === PACKAGE && module === 'index' && kind ? kind : type;
}

/** The type token out of a URN (`urn:pulumi:stack::project::[parent$]ark:index:Kind::name`). */
function typeOfUrn(urn: string): string {
  const qualified = urn.split('::')[2] ?? '';
  return qualified.split('$').pop() ?? '';
}

export function createNativeProvider(options: NativeProviderOptions): NativeProvider {
  const env = options.env ?? (() => process.env);
  const aborter = new AbortController();
  // Cancel (the engine's own request) and the engine watch both stop every operation.
  const signal = options.engine ? AbortSignal.any([aborter.signal, options.engine.signal]) : aborter.signal;
  const track = options.engine?.track ?? (<T>(work: () => Promise<T>) => work());
  let config: StackConfig = {};

  function controllerFor(urn: string) {
    const type = typeOfUrn(urn);
    const kind = kindOf(type) as ResourceKind;
    const controller = options.registry[kind];
    if (!controller) {
      const served = Object.keys(options.registry).map((k) => `${PACKAGE}:index:${k}`).join(', ') || 'none';
      throw new Error(`pulumi-resource-ark serves no resource type "${type}" (it serves: ${served}).`);
    }
    return { kind, controller };
  }

  function context(urn: string, kind: string, timeouts?: OperationTimeouts): ControllerContext {
    return controllerContext({
      config,
      env,
      log: options.log.forResource(urn, `[ark ${kind}]`),
      signal,
      ...(timeouts && { timeouts }),
    });
  }

  /** Runs a handler and answers the call: a result, or the error's message alone (never a stack trace). */
  function unary<Req>(handler: (req: Req) => Promise<unknown>) {
    return (call: Call<Req>, callback: Callback) => {
      track(() => handler(call.request)).then(
        (response) => callback(null, response),
        (error: unknown) => callback(grpcError(error)),
      );
    };
  }

  const service: grpc.UntypedServiceImplementation = {
    getPluginInfo: unary(async () => new plugproto.PluginInfo().setVersion(options.version)),

    getSchema: unary(async (req: provproto.GetSchemaRequest) => {
      if (req.getVersion() !== 0) throw new Error(`pulumi-resource-ark: unsupported schema version ${req.getVersion()}`);
      return new provproto.GetSchemaResponse().setSchema(options.schema);
    }),

    // Settings are resolved per operation (docs/configuration.md), so config is accepted as given and a change
    // never replaces the provider or its resources.
    checkConfig: unary(async (req: provproto.CheckRequest) => new provproto.CheckResponse().setInputs(req.getNews())),

    diffConfig: unary(async (req: provproto.DiffRequest) => {
      const olds = fromStruct(req.getOlds()).props;
      const news = fromStruct(req.getNews()).props;
      const same = JSON.stringify(stripInternalKeys(olds)) === JSON.stringify(stripInternalKeys(news));
      return new provproto.DiffResponse().setChanges(same ? provproto.DiffResponse.DiffChanges.DIFF_NONE : provproto.DiffResponse.DiffChanges.DIFF_SOME);
    }),

    configure: unary(async (req: provproto.ConfigureRequest) => {
      config = configFrom(req);
      return new provproto.ConfigureResponse().setAcceptsecrets(true).setSupportspreview(false).setAcceptresources(false);
    }),

    check: unary(async (req: provproto.CheckRequest) => {
      const { kind, controller } = controllerFor(req.getUrn());
      const olds = fromStruct(req.getOlds());
      const news = fromStruct(req.getNews());
      // What the TypeScript classes pass themselves; here it comes from the URN.
      const inputs = { ...stripInternalKeys(news.props), owner: ownerTagFromUrn(req.getUrn()) };
      const result = await controller.check(stripInternalKeys(olds.props), inputs, context(req.getUrn(), kind));
      const response = new provproto.CheckResponse();
      response.setInputs(toStruct(result.inputs ?? inputs, news.secretKeys));
      response.setFailuresList(
        (result.failures ?? []).map((f) => new provproto.CheckFailure().setProperty(f.property).setReason(f.reason)),
      );
      return response;
    }),

    diff: unary(async (req: provproto.DiffRequest) => {
      const { kind, controller } = controllerFor(req.getUrn());
      const olds = stripInternalKeys(fromStruct(req.getOlds()).props);
      const news = stripInternalKeys(fromStruct(req.getNews()).props);
      const result = await controller.diff(req.getId(), olds, news, context(req.getUrn(), kind));
      return diffResponse(result, olds, news);
    }),

    create: unary(async (req: provproto.CreateRequest) => {
      const { kind, controller } = controllerFor(req.getUrn());
      const inputs = fromStruct(req.getProperties());
      const ctx = context(req.getUrn(), kind, timeoutFor('create', req.getTimeout()));
      const { id, outs } = await withInitFailure(inputs.secretKeys, () => controller.create(stripInternalKeys(inputs.props), ctx));
      return new provproto.CreateResponse().setId(id).setProperties(toStruct(outs, inputs.secretKeys));
    }),

    read: unary(async (req: provproto.ReadRequest) => {
      const { kind, controller } = controllerFor(req.getUrn());
      const state = fromStruct(req.getProperties());
      if (isExistsRead(req.getUrn(), state.props)) {
        return existsResponse(req.getId(), await controller.exists(req.getId(), context(req.getUrn(), kind)));
      }
      const inputs = fromStruct(req.getInputs());
      const secretKeys = new Set([...state.secretKeys, ...inputs.secretKeys]);
      // `pulumi import` reads with an id alone: the owner is the one the importing program's resource will have.
      const props = { owner: ownerTagFromUrn(req.getUrn()), ...stripInternalKeys(state.props) };
      const result = await controller.read(req.getId(), props, context(req.getUrn(), kind));
      const response = new provproto.ReadResponse();
      if (!result.id) return response; // gone: the engine drops it from state
      response.setId(result.id).setProperties(toStruct(result.props ?? props, secretKeys));
      if (result.inputs) response.setInputs(toStruct(result.inputs, secretKeys));
      return response;
    }),

    update: unary(async (req: provproto.UpdateRequest) => {
      const { kind, controller } = controllerFor(req.getUrn());
      const olds = fromStruct(req.getOlds());
      const news = fromStruct(req.getNews());
      const ctx = context(req.getUrn(), kind, timeoutFor('update', req.getTimeout()));
      const { outs } = await withInitFailure(news.secretKeys, () =>
        controller.update(req.getId(), stripInternalKeys(olds.props), stripInternalKeys(news.props), ctx),
      );
      return new provproto.UpdateResponse().setProperties(toStruct(outs, news.secretKeys));
    }),

    delete: unary(async (req: provproto.DeleteRequest) => {
      const { kind, controller } = controllerFor(req.getUrn());
      const props = stripInternalKeys(fromStruct(req.getProperties()).props);
      await controller.delete(req.getId(), props, context(req.getUrn(), kind, timeoutFor('delete', req.getTimeout())));
      return new emptyproto.Empty();
    }),

    cancel: unary(async () => {
      aborter.abort(new Error('the engine cancelled the operation'));
      return new emptyproto.Empty();
    }),
  };

  return { service };
}

/**
 * The engine's ExistsResource (3.269+, the static `exists()` of generated SDKs) is a Read whose URN names no
 * resource (`__exists__<n>`, as the engine's IsExistsURN tells them) and which carries no state, only what the
 * caller passed as inputs: it is neither a refresh nor an import, so no owner comes from the URN and no inputs
 * go back. The empty state keeps the refresh of a resource someone named `__exists__...` on the normal path.
 */
function isExistsRead(urn: string, state: Props): boolean {
  return urn.split('::').slice(3).join('::').startsWith('__exists__') && Object.keys(state).length === 0;
}

/**
 * The engine reads the answer off `properties` alone: absent means gone, empty means unknown, anything else
 * exists. The id is what those properties hold: the caller learns nothing else from them.
 */
function existsResponse(id: string, exists: boolean): provproto.ReadResponse {
  const response = new provproto.ReadResponse();
  return exists ? response.setId(id).setProperties(toStruct({ id })) : response;
}

/** The gRPC service definition the implementation above is for. */
export const ResourceProviderService = provrpc.ResourceProviderService as unknown as grpc.ServiceDefinition;

// ---------------------------------------------------------------------------------------------------- helpers

function configFrom(req: provproto.ConfigureRequest): StackConfig {
  // `args` carries the provider's config as a Struct (secrets wrapped); older engines send only `variables`,
  // keyed `ark:config:<key>`.
  if (req.hasArgs()) {
    const args = fromStruct(req.getArgs()).props;
    return stackConfigFrom((key) => (typeof args[key] === 'string' ? (args[key] as string) : undefined));
  }
  const variables = req.getVariablesMap();
  return stackConfigFrom((key) => variables.get(`${PACKAGE}:config:${key}`) ?? variables.get(`${PACKAGE}:${key}`));
}

function timeoutFor(operation: keyof OperationTimeouts, seconds: number): OperationTimeouts | undefined {
  return seconds > 0 ? { [operation]: seconds } : undefined;
}

/**
 * The engine's detailed diff: each changed input as an update, or an update-replace when it forces a
 * replacement (add/delete when it is newly set or removed). A change the controller reports without naming a
 * property (an endpoint found Stopped, a model not Ready) carries no detailed diff, so the engine shows the
 * update without inventing a property for it.
 */
export function diffResponse(result: DiffResult, olds: Props, news: Props): provproto.DiffResponse {
  const Kind = provproto.PropertyDiff.Kind;
  const response = new provproto.DiffResponse();
  response.setChanges(result.changes ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE);
  const replaces = result.replaces ?? [];
  response.setReplacesList(replaces);
  response.setDeletebeforereplace(result.deleteBeforeReplace ?? false);
  const changed = [...new Set([...(result.changed ?? []), ...replaces])];
  if (!result.changes || changed.length === 0) return response;
  const details = response.getDetaileddiffMap();
  for (const property of changed) {
    const replace = replaces.includes(property);
    const added = olds[property] === undefined;
    const removed = news[property] === undefined;
    const kind = added && !removed
      ? (replace ? Kind.ADD_REPLACE : Kind.ADD)
      : removed && !added
        ? (replace ? Kind.DELETE_REPLACE : Kind.DELETE)
        : (replace ? Kind.UPDATE_REPLACE : Kind.UPDATE);
    details.set(property, new provproto.PropertyDiff().setKind(kind).setInputdiff(true));
  }
  response.setDiffsList(changed);
  response.setHasdetaileddiff(true);
  return response;
}

/** A partial failure keeps its id: the engine records the resource from ErrorResourceInitFailed's detail. */
async function withInitFailure<T>(secretKeys: ReadonlySet<string>, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (!(error instanceof PartialFailureError)) throw error;
    const detail = new provproto.ErrorResourceInitFailed();
    detail.setId(error.id);
    detail.setProperties(toStruct(error.properties, secretKeys));
    detail.setReasonsList(error.reasons);
    throw new InitFailure(error.message, detail);
  }
}

class InitFailure extends Error {
  constructor(
    message: string,
    readonly detail: provproto.ErrorResourceInitFailed,
  ) {
    super(message);
  }
}

/** The message as the user should read it; ErrorResourceInitFailed packed as the status detail the engine reads. */
function grpcError(error: unknown): Partial<grpc.StatusObject> {
  const message = error instanceof Error ? error.message : String(error);
  const metadata = new grpc.Metadata();
  if (error instanceof InitFailure) {
    const status = new statusproto.Status();
    status.setCode(grpc.status.UNKNOWN);
    status.setMessage(message);
    const any = new anyproto.Any();
    any.pack(error.detail.serializeBinary(), 'pulumirpc.ErrorResourceInitFailed');
    status.addDetails(any);
    metadata.add('grpc-status-details-bin', Buffer.from(status.serializeBinary()));
  }
  return { code: grpc.status.UNKNOWN, details: message, metadata };
}
