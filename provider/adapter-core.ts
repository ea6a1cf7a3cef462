/**
 * What both adapters over the controllers do the same way: the dynamic runtime (`runtime.ts`, TypeScript
 * dynamic resources) and the native plugin (`native/`, every Pulumi language). Resource behaviour lives in the
 * controllers; this module holds the adapter-side rules, so neither adapter can drift from the other:
 * which keys a controller never sees, how results are made wire-safe, how stack config becomes settings, and
 * how the owner tag is spelled.
 */
import type { ControllerContext, OperationTimeouts, ProgressLog } from './resources/controller';
import { resolveSettings, STACK_CONFIG_KEYS, type StackConfig } from './settings';

export type Props = Record<string, unknown>;

/** Drops Pulumi's internal keys (`__provider` and any other `__`-prefixed key) before a controller sees the props. */
export function stripInternalKeys(props: Props | undefined): Props {
  const out: Props = {};
  for (const [key, value] of Object.entries(props ?? {})) {
    if (!key.startsWith('__')) out[key] = value;
  }
  return out;
}

/**
 * Props as protobuf Structs can carry them: `Struct.fromJavaScript` throws "Unexpected struct type." on
 * `undefined` (an absent optional field, a zod default of undefined); a JSON round trip drops those keys the
 * way JSON state would anyway.
 */
export function toWire(props: object): Props {
  return JSON.parse(JSON.stringify(props)) as Props;
}

/** The `ark:*` stack config (namespace stripped) an adapter received, reduced to the keys settings read. */
export function stackConfigFrom(lookup: (key: (typeof STACK_CONFIG_KEYS)[number]) => string | undefined): StackConfig {
  const config: StackConfig = {};
  for (const key of STACK_CONFIG_KEYS) config[key] = lookup(key);
  return config;
}

export interface ContextOptions {
  config: StackConfig;
  /** Read at every call so credentials are never cached. */
  env: () => Readonly<Record<string, string | undefined>>;
  log: ProgressLog;
  timeouts?: OperationTimeouts;
  signal?: AbortSignal;
}

/** A controller context whose settings are resolved at every call: stack config, then environment, then defaults. */
export function controllerContext(options: ContextOptions): ControllerContext {
  return {
    settings: () => resolveSettings(options.config, options.env()),
    log: options.log,
    ...(options.timeouts && { timeouts: options.timeouts }),
    ...(options.signal && { signal: options.signal }),
  };
}

/** Progress as stderr lines (`<prefix> message`, `<prefix> warning: message`), for when no engine log is at hand. */
export function stderrProgressLog(prefix: string): ProgressLog {
  return {
    info: (message) => process.stderr.write(`${prefix} ${message}\n`),
    warn: (message) => process.stderr.write(`${prefix} warning: ${message}\n`),
  };
}

/**
 * The `owner` input: project, stack and resource name. Create uses it to find a resource it made earlier (a
 * killed `pulumi up`) and adopt it instead of making a second. The TypeScript classes compute it from the
 * running program, the native plugin from the resource URN: both spell it here.
 */
export function ownerTag(project: string, stack: string, name: string): string {
  return `${project}/${stack}/${name}`;
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` -> the owner tag of that resource. */
export function ownerTagFromUrn(urn: string): string {
  const prefix = 'urn:pulumi:';
  const parts = urn.startsWith(prefix) ? urn.slice(prefix.length).split('::') : [];
  if (parts.length < 4) throw new Error(`pulumi-ark: cannot read project, stack and name from the resource URN "${urn}".`);
  const [stack, project, , ...name] = parts;
  return ownerTag(project!, stack!, name.join('::'));
}
