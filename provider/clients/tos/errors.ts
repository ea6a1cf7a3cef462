import { TosServerError } from '@volcengine/tos-sdk';
import { classifyNetworkError, isRetryableHttpStatus, type RetryDecision } from '../retry';

/**
 * A TOS call that failed, with the facts needed to act on it. The SDK's own errors are awkward to consume:
 * HEAD errors carry no `code` and an empty message, and errors without `x-tos-request-id` arrive as plain
 * axios errors (tos-protocol.md §D), so everything is normalised here once.
 */
export class TosCallError extends Error {
  constructor(
    /** What we were doing, e.g. `PUT tos://bucket/key`. */
    readonly operation: string,
    /** TOS error code (`NoSuchBucket`, `SignatureDoesNotMatch`, ...), a socket code, or `Unknown`. */
    readonly code: string,
    /** HTTP status, 0 when no answer arrived. */
    readonly statusCode: number,
    readonly requestId: string | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} failed: ${detail}`, options);
    this.name = 'TosCallError';
  }

  get isThrottle(): boolean {
    return this.statusCode === 429 || this.code === 'TooManyRequests';
  }

  get isAuthFailure(): boolean {
    return (
      this.statusCode === 403 ||
      ['SignatureDoesNotMatch', 'InvalidAccessKeyId', 'AccessDenied'].includes(this.code)
    );
  }
}

/** Codes for HEAD/GET errors, where TOS sends no body and only the status survives. */
const CODE_BY_STATUS: Record<number, string> = { 403: 'AccessDenied', 404: 'NotFound', 412: 'PreconditionFailed', 429: 'TooManyRequests' };

/** The TOS address in use and the setting that chose it, named when a connection is refused. */
export interface TosEndpointHint {
  url: string;
  source?: string;
}

/** Wraps any error thrown by the TOS SDK (or the socket under it) into a TosCallError naming `operation`. */
export function toTosCallError(operation: string, error: unknown, endpoint?: TosEndpointHint): TosCallError {
  if (error instanceof TosCallError) return error;
  if (error instanceof TosServerError) {
    const code = error.code || CODE_BY_STATUS[error.statusCode] || `HTTP${error.statusCode}`;
    const message = error.message || `HTTP ${error.statusCode}`;
    const authHint =
      error.statusCode === 403 ? ' (check the access key and secret key: ark:accessKey / ark:secretKey or VOLCENGINE_ACCESS_KEY / VOLCENGINE_SECRET_KEY)' : '';
    return new TosCallError(
      operation,
      code,
      error.statusCode,
      error.requestId,
      `expected success, found ${code} (HTTP ${error.statusCode}, request id ${error.requestId ?? 'none'}): ${message}${authHint}`,
      { cause: error },
    );
  }
  const network = classifyNetworkError(error);
  if (network) {
    const where =
      endpoint && !network.maybeSent
        ? `: cannot reach TOS at ${endpoint.url}${endpoint.source ? ` (set by ${endpoint.source}; change ark:tosEndpoint or ARK_TOS_ENDPOINT to point elsewhere)` : ''}`
        : '';
    return new TosCallError(operation, network.code, 0, undefined, `expected an HTTP answer, found a network error ${network.code}${where}`, { cause: error });
  }
  const status = statusOfPlainHttpError(error);
  if (status !== undefined) {
    return new TosCallError(operation, `HTTP${status}`, status, undefined, `expected a TOS answer, found HTTP ${status} without x-tos-request-id`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TosCallError(operation, 'Unknown', 0, undefined, message, { cause: error });
}

/** Axios errors from answers lacking x-tos-request-id (the SDK re-throws them raw). */
function statusOfPlainHttpError(error: unknown): number | undefined {
  const status = (error as { response?: { status?: unknown } } | undefined)?.response?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Retry classification for TOS calls: throttling and transient faults are retried with backoff on top of the
 * SDK's immediate retries; anything else (auth, not found, bad request, checksum) fails at once.
 */
export function classifyTosError(error: unknown): RetryDecision {
  const e = error instanceof TosCallError ? error : toTosCallError('TOS call', error);
  if (e.isThrottle) return 'retry-throttled';
  if (e.statusCode === 408 || (e.statusCode > 0 && isRetryableHttpStatus(e.statusCode))) return 'retry';
  if (e.statusCode === 0 && classifyNetworkError(e.cause) !== undefined) return 'retry';
  return 'fail';
}
