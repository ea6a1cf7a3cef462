/**
 * The contract every resource controller implements. A controller is plain TypeScript with injected clients: it
 * knows nothing about Pulumi's serialization. `dynamic-shim.ts` adapts it to `pulumi.dynamic.ResourceProvider`;
 * a native multi-language provider can reuse it later. Inputs and outputs are plain JSON objects; during
 * preview, inputs may hold the unknown sentinel (see `isUnknown`).
 */
export interface CheckFailure {
  property: string;
  reason: string;
}

export interface CheckResult<I> {
  inputs?: I;
  failures?: CheckFailure[];
}

export interface DiffResult {
  changes: boolean;
  /**
   * The input properties that differ (a nested path such as `rateLimit` names the top-level input). Every entry
   * of `replaces` is also here. The native plugin turns them into the engine's detailed diff (update, or
   * update-replace when listed in `replaces`); the dynamic shim has no detailed diff and ignores them.
   */
  changed?: string[];
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}

export interface ReadResult<I, O> {
  /** Absent when the resource no longer exists: the engine then drops it from state. */
  id?: string;
  props?: O;
  inputs?: I;
}

/** Progress and diagnostics sink; the shim routes it to the Pulumi engine's log. */
export interface ProgressLog {
  info(message: string): void;
  warn(message: string): void;
}

/** Where the cloud is and who we are, resolved at call time (never captured, never in state). */
export interface ProviderSettings {
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Ark control plane, e.g. `https://ark.cn-beijing.volcengineapi.com` or ark-local's `http://127.0.0.1:9000`. */
  arkEndpoint: string;
  /** TOS endpoint as the TOS SDK wants it: bare `host[:port]`. */
  tosEndpoint: string;
  tosSecure: boolean;
  /** Chat API base URL reported by endpoints, e.g. `https://ark.cn-beijing.volces.com/api/v3`. */
  chatBaseUrl: string;
  /**
   * Hugging Face–compatible hub of `hf://` sources, e.g. `https://huggingface.co` or ark-local's `<url>/_hub`.
   * resolveSettings always sets it; optional so settings written by hand for Ark-only work need not.
   */
  hubEndpoint?: string;
  /** Hub token; absent: anonymous. Never logged or put in messages. */
  hubToken?: string;
  /**
   * First interval between status polls while waiting for a long operation (default 2000 ms, growing to 15 s).
   * ark-local setups pass a few milliseconds so waits stay fast; the real service needs no override.
   */
  pollIntervalMs?: number;
  /**
   * Where each value came from, in words (`stack config ark:endpoint`, `environment variable ARK_ENDPOINT`,
   * `the default for region cn-beijing`), so an unreachable host or a refused key names the setting to fix.
   */
  sources?: SettingSources;
}

export interface SettingSources {
  region: string;
  credentials: string;
  arkEndpoint: string;
  tosEndpoint: string;
  chatBaseUrl: string;
  hubEndpoint?: string;
  /** Where the token came from (`environment variable HF_TOKEN`), or that there is none; never the token. */
  hubToken?: string;
}

/** The engine's `customTimeouts` for the running operation, in seconds, when the adapter receives them. */
export interface OperationTimeouts {
  create?: number;
  update?: number;
  delete?: number;
}

export type TimedOperation = keyof OperationTimeouts;

export interface ControllerContext {
  settings(): ProviderSettings;
  log: ProgressLog;
  /**
   * Set by adapters that receive the engine's `customTimeouts` (the native plugin); they win over a resource's
   * own timeout inputs, which stay the defaults. The dynamic shim never receives them (pulumi-notes §0.7).
   */
  timeouts?: OperationTimeouts;
  /**
   * Aborted when the engine that called the provider is gone or cancelled the operation: long work stops
   * promptly and leaves what it made resumable (checkpoints, ids in state) for the next `up`.
   */
  signal?: AbortSignal;
}

/**
 * How long an operation may wait, in ms: the engine's timeout for it when the adapter has one, else the
 * resource's own input, else the resource's default.
 */
export function operationTimeoutMs(
  ctx: ControllerContext,
  operation: TimedOperation,
  inputSeconds: number | undefined,
  defaultSeconds: number,
): number {
  const engineSeconds = ctx.timeouts?.[operation];
  const seconds = engineSeconds && engineSeconds > 0 ? engineSeconds : (inputSeconds ?? defaultSeconds);
  return seconds * 1000;
}

export interface ResourceController<I, O> {
  check(olds: Partial<I>, news: Record<string, unknown>, ctx: ControllerContext): Promise<CheckResult<I>>;
  diff(id: string, olds: O, news: I, ctx: ControllerContext): Promise<DiffResult>;
  create(inputs: I, ctx: ControllerContext): Promise<{ id: string; outs: O }>;
  read(id: string, props: O, ctx: ControllerContext): Promise<ReadResult<I, O>>;
  /**
   * Whether the object behind `id` is there now, by the id alone: the engine's ExistsResource (3.269+, the
   * static `exists()` of generated SDKs) has no stored state and no resource name to go by.
   */
  exists(id: string, ctx: ControllerContext): Promise<boolean>;
  update(id: string, olds: O, news: I, ctx: ControllerContext): Promise<{ outs: O }>;
  delete(id: string, props: O, ctx: ControllerContext): Promise<void>;
}

/** The value Pulumi passes for inputs that are not known yet during preview. */
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

/**
 * Pulumi's partial-create/update error: the resource exists (its id must not be lost) but did not become ready.
 * The dynamic-provider server recognises `id`, `properties` and `reasons` on a thrown error; `properties` must
 * carry `__provider`, which the shim adds. The engine shows `reasons`, not `message`.
 */
export class PartialFailureError extends Error {
  readonly reasons: string[];
  constructor(
    readonly id: string,
    public properties: Record<string, unknown>,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(reason, options);
    this.name = 'PartialFailureError';
    this.reasons = [reason];
  }
}
