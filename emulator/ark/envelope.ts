import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { compactTimestamp } from '../../provider/api/ids';
import { ARK_API_VERSION, ARK_SERVICE, type ResponseMetadata } from '../../provider/api/envelope';
import { sendJson } from '../http';
import type { ArkApiError } from './errors';

/** Builds the Volcengine OpenAPI envelope around Ark results and errors (ark-api.md §1.2). */

/** `YYYYMMDDhhmmss` + 18 upper-case hex characters, matching REQUEST_ID_PATTERN. */
export function newRequestId(now: number): string {
  return compactTimestamp(new Date(now)) + randomBytes(9).toString('hex').toUpperCase();
}

export interface CallInfo {
  requestId: string;
  action: string;
  version: string;
  region: string;
}

export function metadata(call: CallInfo): ResponseMetadata {
  return {
    RequestId: call.requestId,
    Action: call.action,
    Version: call.version || ARK_API_VERSION,
    Service: ARK_SERVICE,
    Region: call.region,
  };
}

export function sendResult(res: ServerResponse, call: CallInfo, result: unknown): void {
  sendJson(res, 200, { ResponseMetadata: metadata(call), Result: result });
}

/** A success with no `Result` at all, as an action documenting no output may answer (variance mode). */
export function sendMetadataOnly(res: ServerResponse, call: CallInfo): void {
  sendJson(res, 200, { ResponseMetadata: metadata(call) });
}

/** Errors carry no `Result`; `CodeN` only for the gateway codes that have one. */
export function sendError(res: ServerResponse, call: CallInfo, error: ArkApiError): void {
  const body = { Code: error.code, Message: error.message, ...(error.codeN !== undefined ? { CodeN: error.codeN } : {}) };
  sendJson(res, error.status, { ResponseMetadata: { ...metadata(call), Error: body } });
}
