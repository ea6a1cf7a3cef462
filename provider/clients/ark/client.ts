import Signer, { queryParamsToString } from '@volcengine/openapi/lib/base/sign';
import { z } from 'zod';
import { ArkActions, type ArkAction, type ArkRequest, type ArkResult, hasEmptyResult, MAX_PAGE_SIZE } from '../../api/ark';
import { ARK_API_VERSION, ARK_SERVICE, ErrorEnvelopeSchema, readEnvelopeSchema } from '../../api/envelope';
import type { ControllerContext, ProviderSettings } from '../../resources/controller';
import {
  type Clock,
  DEFAULT_RETRY_POLICY,
  type RetryDecision,
  type RetryPolicy,
  classifyNetworkError,
  systemClock,
  withRetry,
} from '../retry';
import {
  ArkNetworkError,
  ArkProtocolError,
  ArkServerError,
  ArkThrottlingError,
  ArkValidationError,
  arkErrorFromResponse,
} from './errors';
import { type HttpResponse, type HttpTransport, nodeHttpTransport } from './transport';

/**
 * Signed client of the Ark control plane. Requests are validated and answers parsed with the shared wire
 * contracts (provider/api/ark.ts), so client and ark-local cannot drift apart. Each attempt is signed afresh
 * (X-Date moves on), throttling/5xx/network failures are retried with full-jitter backoff, and actions that
 * create something are never repeated blindly: their ambiguous failures surface to the caller, which resolves
 * them by looking the resource up (see `isAmbiguousFailure`).
 */

/**
 * Actions that create a billed resource and carry no idempotency token (the API has no ClientToken). Repeating
 * one after a lost answer could make a second resource. Throttling is still retried: a 429 means "refused".
 */
export const NON_IDEMPOTENT_ACTIONS: ReadonlySet<ArkAction> = new Set<ArkAction>(['CreateEndpoint', 'UploadModel', 'CreateEndpointRolling']);

export const DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;

export interface ArkClientOptions {
  settings: ProviderSettings;
  transport?: HttpTransport;
  retry?: RetryPolicy;
  clock?: Clock;
  random?: () => number;
  /** Per attempt, not per call. */
  attemptTimeoutMs?: number;
  /**
   * ControllerContext.signal: once aborted, no request is sent, the one in flight is cut off and a throttling
   * backoff ends at once; calls reject with the signal's reason.
   */
  signal?: AbortSignal;
}

/** The client a controller call uses: its settings, and its signal so nothing outlives a cancelled operation. */
export function arkClientFor(ctx: Pick<ControllerContext, 'settings' | 'signal'>): ArkClient {
  return new ArkClient({ settings: ctx.settings(), signal: ctx.signal });
}

export class ArkClient {
  private readonly transport: HttpTransport;
  private readonly retry: RetryPolicy;
  private readonly clock: Clock;
  private readonly attemptTimeoutMs: number;

  constructor(private readonly options: ArkClientOptions) {
    this.transport = options.transport ?? nodeHttpTransport;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.clock = options.clock ?? systemClock;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  }

  /** Calls `action`; resolves with its parsed `Result` or rejects with a typed `ArkError`. */
  async call<A extends ArkAction>(action: A, request: ArkRequest<A>): Promise<ArkResult<A>> {
    const checked = ArkActions[action].request.safeParse(request);
    if (!checked.success) {
      throw new ArkValidationError({
        action,
        code: 'ClientValidation',
        message: `request does not match the ${action} contract: ${describeIssues(checked.error)}`,
        httpStatus: 0,
      });
    }
    const body = JSON.stringify(checked.data);
    const idempotent = !NON_IDEMPOTENT_ACTIONS.has(action);
    return withRetry(() => this.attempt(action, body), {
      policy: this.retry,
      clock: this.clock,
      random: this.options.random,
      signal: this.options.signal,
      classify: (error) => retryDecision(error, idempotent),
    }) as Promise<ArkResult<A>>;
  }

  /**
   * Every item of a paged list action, fetched page by page at the largest page size. `onPage` hears of each
   * page that answered (the doctor tells "Ark accepted the signed call" from "a later page failed" with it).
   */
  async listAll<A extends 'ListEndpoints' | 'ListCustomModels'>(
    action: A,
    request: Omit<ArkRequest<A>, 'PageNumber' | 'PageSize'>,
    onPage?: (pageNumber: number) => void,
  ): Promise<ArkResult<A>['Items']> {
    const items: unknown[] = [];
    for (let page = 1; ; page++) {
      const result = await this.call(action, { ...request, PageNumber: page, PageSize: MAX_PAGE_SIZE } as ArkRequest<A>);
      onPage?.(page);
      items.push(...result.Items);
      // Without TotalCount (optional on read), a short page is the last one.
      const total = result.TotalCount ?? (result.Items.length < MAX_PAGE_SIZE ? items.length : Infinity);
      if (result.Items.length === 0 || items.length >= total) return items as ArkResult<A>['Items'];
    }
  }

  private async attempt(action: ArkAction, body: string): Promise<unknown> {
    const settings = this.options.settings;
    const params = { Action: action, Version: ARK_API_VERSION };
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
    const signer = new Signer({ region: settings.region, method: 'POST', pathname: '/', params, headers, body }, ARK_SERVICE);
    signer.addAuthorization({ accessKeyId: settings.accessKeyId, secretKey: settings.secretAccessKey }, new Date());
    const url = new URL(`/?${queryParamsToString(signer.request.params)}`, settings.arkEndpoint);
    let response: HttpResponse;
    try {
      response = await this.transport({
        url,
        method: 'POST',
        headers: signer.request.headers,
        body,
        timeoutMs: this.attemptTimeoutMs,
        ...(this.options.signal && { signal: this.options.signal }),
      });
    } catch (error) {
      const network = classifyNetworkError(error);
      if (!network) throw error;
      throw new ArkNetworkError({
        action,
        code: network.code,
        message: network.maybeSent
          ? `${(error as Error).message} (calling ${url.host})`
          : unreachableMessage((error as Error).message, settings.arkEndpoint, settings.sources?.arkEndpoint),
        httpStatus: 0,
        maybeSent: network.maybeSent,
      });
    }
    return parseResponse(action, response);
  }
}

/** A refused connection or unknown host: name the URL and the setting that chose it, since that is what to fix. */
export function unreachableMessage(detail: string, url: string, source: string | undefined): string {
  const chosen = source ? ` (set by ${source}; change ark:endpoint or ARK_ENDPOINT to point elsewhere)` : '';
  return `cannot reach the Ark control plane at ${url}${chosen}: ${detail}. Is the address right, and is the service (or ark-local) running?`;
}

function retryDecision(error: unknown, idempotent: boolean): RetryDecision {
  if (error instanceof ArkThrottlingError) return 'retry-throttled';
  if (error instanceof ArkNetworkError) return idempotent || !error.maybeSent ? 'retry' : 'fail';
  if (error instanceof ArkServerError) return idempotent ? 'retry' : 'fail';
  return 'fail';
}

/**
 * True when a call may or may not have taken effect: the connection broke after sending, the server answered
 * 5xx, or its answer was garbled. For a create, the caller must look the resource up before trying again.
 */
export function isAmbiguousFailure(error: unknown): boolean {
  if (error instanceof ArkNetworkError) return error.maybeSent;
  return error instanceof ArkServerError || error instanceof ArkProtocolError;
}

/** The gateway's bare error shape, sent when ResponseMetadata is missing (GO `VolcengineSimpleError`). */
const SimpleErrorSchema = z.object({ errorcode: z.string().min(1), message: z.string().optional() });

/** Turns an HTTP answer into the action's Result, or the typed error it carries. Exported for tests. */
export function parseResponse(action: ArkAction, response: HttpResponse): unknown {
  let json: unknown;
  try {
    json = JSON.parse(response.body);
  } catch {
    if (response.status >= 400) {
      throw arkErrorFromResponse({ action, code: `HTTP${response.status}`, message: excerpt(response.body), httpStatus: response.status });
    }
    throw new ArkProtocolError({
      action,
      code: 'InvalidResponse',
      message: `expected a JSON envelope, found: ${excerpt(response.body)}`,
      httpStatus: response.status,
    });
  }
  // Any body with ResponseMetadata.Error.Code is an error, whatever the HTTP status (GO processBodyError).
  const failed = ErrorEnvelopeSchema.safeParse(json);
  if (failed.success) {
    const { Error: err, RequestId } = failed.data.ResponseMetadata;
    throw arkErrorFromResponse({ action, code: err.Code, message: err.Message, httpStatus: response.status, requestId: RequestId });
  }
  const simple = SimpleErrorSchema.safeParse(json);
  if (simple.success) {
    throw arkErrorFromResponse({ action, code: simple.data.errorcode, message: simple.data.message ?? '', httpStatus: response.status });
  }
  if (response.status >= 400) {
    throw arkErrorFromResponse({ action, code: `HTTP${response.status}`, message: excerpt(response.body), httpStatus: response.status });
  }
  const parsed = readEnvelopeSchema(ArkActions[action].read, hasEmptyResult(action)).safeParse(json);
  if (!parsed.success) {
    throw new ArkProtocolError({
      action,
      code: 'InvalidResponse',
      message: `the answer does not match the ${action} contract: ${describeIssues(parsed.error)}`,
      httpStatus: response.status,
      requestId: requestIdOf(json),
      result: (json as { Result?: unknown } | null)?.Result,
    });
  }
  return parsed.data.Result ?? {};
}

function requestIdOf(json: unknown): string | undefined {
  const id = (json as { ResponseMetadata?: { RequestId?: unknown } } | null)?.ResponseMetadata?.RequestId;
  return typeof id === 'string' ? id : undefined;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat || '(empty body)';
}
