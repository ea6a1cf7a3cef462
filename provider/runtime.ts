/**
 * The provider runtime: what the serialized dynamic shim (`dynamic-shim.ts`) loads, by package name, inside the
 * dynamic-provider process. It owns the two things the shim must never capture: the stack configuration
 * (credentials) and the controllers. `dispatch` adapts Pulumi's dynamic-provider calling convention to the
 * ResourceController contract: controllers never see `__provider`, and it is put back wherever Pulumi stores
 * outputs (create/update/read results and partial-failure properties), without which later refresh/destroy
 * calls cannot deserialize the provider.
 */
import { controllerContext, stackConfigFrom, stderrProgressLog, stripInternalKeys as strip, toWire as wire, type Props } from './adapter-core';
import { type EngineWatch, isDynamicProviderProcess, watchEngine } from './engine-watch';
import { PartialFailureError, type ControllerContext, type ProgressLog } from './resources/controller';
import type { ResourceKind } from './resources/dynamic-shim';
import { CONTROLLERS, type ControllerRegistry } from './resources/registry';
import type { StackConfig } from './settings';

export { CONTROLLERS, type ControllerRegistry };

export type Method = 'check' | 'diff' | 'create' | 'read' | 'update' | 'delete';

const PROVIDER_KEY = '__provider';

export interface RuntimeOptions {
  registry: ControllerRegistry;
  /** Read at every call so credentials are never cached; defaults to `process.env`. */
  env?: () => Readonly<Record<string, string | undefined>>;
  /** Defaults to stderr lines, which the engine shows as diagnostics of the update. */
  log?: (kind: ResourceKind) => ProgressLog;
  /**
   * Where the engine's disappearance is noticed (engine-watch.ts): its signal becomes ControllerContext.signal
   * and every call is tracked so the process exits once aborted calls settle. Absent: calls are never aborted.
   */
  engine?: Pick<EngineWatch, 'signal' | 'track'>;
}

export interface Runtime {
  configure(config: Record<string, string | undefined>): void;
  dispatch(kind: ResourceKind, method: Method, args: unknown[]): Promise<unknown>;
}

export function createRuntime(options: RuntimeOptions): Runtime {
  let stackConfig: StackConfig = {};
  const env = options.env ?? (() => process.env);
  const logFor = options.log ?? stderrLog;

  const engine = options.engine;

  function context(kind: ResourceKind): ControllerContext {
    return controllerContext({ config: stackConfig, env, log: logFor(kind), signal: engine?.signal });
  }

  return {
    configure(config) {
      stackConfig = stackConfigFrom((key) => config[key]);
    },

    async dispatch(kind, method, args) {
      return engine ? engine.track(() => dispatchCall(kind, method, args)) : dispatchCall(kind, method, args);
    },
  };

  async function dispatchCall(kind: ResourceKind, method: Method, args: unknown[]): Promise<unknown> {
    const controller = options.registry[kind];
    if (!controller) {
      const served = Object.keys(options.registry).join(', ') || 'none';
      throw new Error(`pulumi-ark has no controller for resource kind "${kind}" (this build serves: ${served}).`);
    }
    const ctx = context(kind);
    switch (method) {
      case 'check': {
        const [olds, news] = args as [Props | undefined, Props];
        const result = await controller.check(strip(olds), strip(news), ctx);
        return result.inputs ? { ...result, inputs: wire(result.inputs) } : result;
      }
      case 'diff': {
        const [id, olds, news] = args as [string, Props, Props];
        return controller.diff(id, strip(olds), strip(news), ctx);
      }
      case 'create': {
        const [inputs] = args as [Props];
        const provider = inputs[PROVIDER_KEY];
        const { id, outs } = await keepProviderOnPartialFailure(provider, () => controller.create(strip(inputs), ctx));
        return { id, outs: withProvider(outs, provider) };
      }
      case 'read': {
        const [id, props] = args as [string, Props];
        const provider = props[PROVIDER_KEY];
        const result = await controller.read(id, strip(props), ctx);
        return {
          ...result,
          ...(result.props && { props: withProvider(result.props, provider) }),
          ...(result.inputs && { inputs: withProvider(result.inputs, provider) }),
        };
      }
      case 'update': {
        const [id, olds, news] = args as [string, Props, Props];
        const provider = news[PROVIDER_KEY];
        const { outs } = await keepProviderOnPartialFailure(provider, () => controller.update(id, strip(olds), strip(news), ctx));
        return { outs: withProvider(outs, provider) };
      }
      case 'delete': {
        const [id, props] = args as [string, Props];
        await controller.delete(id, strip(props), ctx);
        return undefined;
      }
      default:
        throw new Error(`pulumi-ark runtime: unknown method "${String(method)}" for ${kind}; expected check, diff, create, read, update or delete.`);
    }
  }
}

/** Props as Pulumi can carry them (see toWire), with `__provider` restored. */
function withProvider(props: object, provider: unknown): Props {
  return provider === undefined ? wire(props) : { ...wire(props), [PROVIDER_KEY]: provider };
}

/**
 * A partial failure's properties become the resource's state; without `__provider` there, the next refresh or
 * destroy fails with "code must be a string, not undefined" (pulumi-notes §0.4).
 */
async function keepProviderOnPartialFailure<T>(provider: unknown, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (err instanceof PartialFailureError) err.properties = withProvider(err.properties, provider);
    throw err;
  }
}

/**
 * The dynamic-provider process has no engine connection of its own (`pulumi.log` would print to stdout with a
 * "[runtime]" prefix at best); the engine reads the plugin's stderr line by line and shows each line as a
 * diagnostic of the running update, so progress written there reaches the user in `pulumi up` and in
 * Automation API diagnostic events.
 */
function stderrLog(kind: ResourceKind): ProgressLog {
  return stderrProgressLog(`[ark ${kind}]`);
}

// Only inside Pulumi's dynamic-provider host: elsewhere (tests, the CLI, the native plugin, which starts its own
// watch) stdin and the parent process mean something else.
const runtime = createRuntime({ registry: CONTROLLERS, engine: isDynamicProviderProcess() ? watchEngine() : undefined });

/** Called by the shim's `configure` with the `ark:*` stack config (namespace stripped). */
export const configure = runtime.configure;
/** Called by every shim method: `dispatch(kind, 'create', [inputs])` and so on. */
export const dispatch = runtime.dispatch;
