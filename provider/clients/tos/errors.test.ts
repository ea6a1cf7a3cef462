import { TosServerError } from '@volcengine/tos-sdk';
import { classifyTosError, toTosCallError, TosCallError } from './errors';

/** A TosServerError as the SDK builds it from an HTTP answer (HEAD answers carry no body, so no code). */
function serverError(status: number, code?: string): unknown {
  const headers = { 'x-tos-request-id': 'req-1' };
  return new TosServerError({ status, headers, data: code ? { Code: code, Message: `${code} happened` } : '' } as never);
}

function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code });
}

describe('TOS error classification', () => {
  test.each([
    { name: '429 TooManyRequests', error: serverError(429, 'TooManyRequests'), decision: 'retry-throttled' },
    { name: '503 ServiceUnavailable', error: serverError(503, 'ServiceUnavailable'), decision: 'retry' },
    { name: '500 InternalError', error: serverError(500, 'InternalError'), decision: 'retry' },
    { name: '408 RequestTimeout', error: serverError(408, 'RequestTimeout'), decision: 'retry' },
    { name: 'ECONNRESET', error: networkError('ECONNRESET'), decision: 'retry' },
    { name: 'ECONNREFUSED', error: networkError('ECONNREFUSED'), decision: 'retry' },
    { name: '403 SignatureDoesNotMatch', error: serverError(403, 'SignatureDoesNotMatch'), decision: 'fail' },
    { name: '404 on HEAD (no body)', error: serverError(404), decision: 'fail' },
    { name: '403 AccessDenied (another account\'s bucket)', error: serverError(403, 'AccessDenied'), decision: 'fail' },
    { name: '412 PreconditionFailed (copy source changed)', error: serverError(412, 'PreconditionFailed'), decision: 'fail' },
    { name: '400 InvalidArgument', error: serverError(400, 'InvalidArgument'), decision: 'fail' },
    { name: 'a programming error', error: new TypeError('x is undefined'), decision: 'fail' },
  ])('$name -> $decision', ({ error, decision }) => {
    expect(classifyTosError(toTosCallError('PUT tos://b/k', error))).toBe(decision);
  });

  test('messages name the operation, the code, the status and the request id; 403 says what to check', () => {
    const e = toTosCallError('PUT tos://b/k', serverError(403, 'SignatureDoesNotMatch'));
    expect(e).toBeInstanceOf(TosCallError);
    expect(e.code).toBe('SignatureDoesNotMatch');
    expect(e.message).toMatch(/^PUT tos:\/\/b\/k failed: expected success, found SignatureDoesNotMatch \(HTTP 403, request id req-1\)/);
    expect(e.message).toContain('check the access key');
    expect(e.isAuthFailure).toBe(true);
  });

  test('a HEAD error without a body still gets a code from its status', () => {
    const e = toTosCallError('HEAD tos://b/k', serverError(404));
    expect(e.code).toBe('NotFound');
    expect(e.statusCode).toBe(404);
    expect(toTosCallError('GET tos://b/k', serverError(412)).code).toBe('PreconditionFailed');
  });
});
