import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { TosErrors, TosHeaders, type TosErrorBody, type TosErrorCode } from '../../provider/api/tos';

/**
 * A TOS error raised anywhere in the TOS service (routing, validation, store) and rendered once by
 * `sendTosError`. The code's HTTP status and `x-tos-ec` come from the shared table; `detail` names the
 * thing, what was expected and what was found.
 */
export class TosError extends Error {
  readonly status: number;
  readonly ec: string;

  constructor(
    readonly code: TosErrorCode,
    detail?: string,
    readonly resource?: string,
  ) {
    super(detail ? `${TosErrors[code].message} ${detail}` : TosErrors[code].message);
    this.status = TosErrors[code].status;
    this.ec = TosErrors[code].ec;
  }
}

/** 24 hex characters, the shape of real TOS request ids. */
export function newRequestId(): string {
  return randomBytes(12).toString('hex');
}

/** Headers every TOS response carries; without `x-tos-request-id` the SDK takes any answer for a network error. */
export function baseHeaders(requestId: string): Record<string, string> {
  return { [TosHeaders.requestId]: requestId, [TosHeaders.id2]: `ark-local-${requestId}`, server: 'TosServer' };
}

/** The one TOS error serializer: JSON body (none for HEAD), `x-tos-request-id`, `x-tos-id-2`, `x-tos-ec`. */
export function sendTosError(res: ServerResponse, err: TosError, requestId: string, method: string): void {
  if (res.headersSent) {
    // A failure after the body started streaming cannot be reported; cutting the connection is the honest answer.
    res.destroy(err);
    return;
  }
  const headers = { ...baseHeaders(requestId), [TosHeaders.ec]: err.ec };
  if (method === 'HEAD') {
    res.writeHead(err.status, headers);
    res.end();
    return;
  }
  const body: TosErrorBody = {
    Code: err.code,
    Message: err.message,
    RequestId: requestId,
    HostId: 'ark-local',
    EC: err.ec,
    ...(err.resource !== undefined ? { Resource: err.resource } : {}),
  };
  const text = JSON.stringify(body);
  res.writeHead(err.status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
