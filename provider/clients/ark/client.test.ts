import { ArkClient, isAmbiguousFailure, parseResponse } from './client';
import { type ArkErrorKind, ArkError, ArkNetworkError } from './errors';
import type { HttpRequest, HttpResponse } from './transport';
import type { ProviderSettings } from '../../resources/controller';

const settings: ProviderSettings = {
  region: 'cn-beijing',
  accessKeyId: 'AKLTunit',
  secretAccessKey: 'c2VjcmV0',
  arkEndpoint: 'http://127.0.0.1:1',
  tosEndpoint: '127.0.0.1:1',
  tosSecure: false,
  chatBaseUrl: 'http://127.0.0.1:1/api/v3',
};
const meta = { RequestId: '20240101000000ABCDEF0123456789AB', Action: 'X', Version: '2024-01-01', Service: 'ark', Region: 'cn-beijing' };
const ok = (result: unknown): HttpResponse => ({ status: 200, headers: {}, body: JSON.stringify({ ResponseMetadata: meta, Result: result }) });
const fail = (status: number, code: string): HttpResponse => ({
  status,
  headers: {},
  body: JSON.stringify({ ResponseMetadata: { ...meta, Error: { Code: code, Message: `msg for ${code}` } } }),
});
const errno = (code: string) => Object.assign(new Error(`socket ${code}`), { code });

/** A transport answering from a script: each entry is a response or an error to throw. */
function scripted(script: (HttpResponse | Error)[]) {
  const requests: HttpRequest[] = [];
  const transport = async (request: HttpRequest) => {
    requests.push(request);
    const next = script.shift();
    if (!next) throw new Error('script exhausted');
    if (next instanceof Error) throw next;
    return next;
  };
  const client = new ArkClient({
    settings,
    transport,
    clock: { now: () => 0, sleep: async () => undefined },
    retry: { maxAttempts: 3, maxThrottleAttempts: 5, baseDelayMs: 1, maxDelayMs: 1 },
  });
  return { client, requests };
}

describe('ArkClient.call', () => {
  it('signs the request with the Volcengine V4 scheme and returns the parsed Result', async () => {
    const { client, requests } = scripted([ok({ Id: 'ep-20240101000000-abcde' })]);
    await expect(
      client.call('CreateEndpoint', { Name: 'n', ModelReference: { CustomModelId: 'cm-1' }, ModelUnitId: 'mu-1' }),
    ).resolves.toEqual({ Id: 'ep-20240101000000-abcde' });
    const [request] = requests;
    expect(request.url.search).toBe('?Action=CreateEndpoint&Version=2024-01-01');
    expect(request.headers.Authorization).toMatch(
      /^HMAC-SHA256 Credential=AKLTunit\/\d{8}\/cn-beijing\/ark\/request, SignedHeaders=x-content-sha256;x-date, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.parse(request.body)).toEqual({ Name: 'n', ModelReference: { CustomModelId: 'cm-1' }, ModelUnitId: 'mu-1' });
  });

  it('refuses a request that breaks the contract before sending anything', async () => {
    const { client, requests } = scripted([]);
    const error = await client.call('GetEndpoint', { Id: '' }).catch((e) => e);
    expect(error).toMatchObject({ kind: 'Validation', code: 'ClientValidation', httpStatus: 0 });
    expect(error.message).toContain('Id');
    expect(requests).toHaveLength(0);
  });

  it('treats an error envelope as an error even with HTTP 200', async () => {
    const { client } = scripted([fail(200, 'NotFound.Endpoint')]);
    await expect(client.call('GetEndpoint', { Id: 'ep-x' })).rejects.toMatchObject({
      kind: 'NotFound',
      code: 'NotFound.Endpoint',
      httpStatus: 200,
      requestId: meta.RequestId,
      action: 'GetEndpoint',
    });
  });

  it('retries throttling for every action, signing each attempt afresh', async () => {
    const { client, requests } = scripted([fail(429, 'FlowLimitExceeded'), fail(429, 'FlowLimitExceeded'), ok({ Id: 'cm-1' })]);
    await client.call('UploadModel', {
      Name: 'm',
      FoundationModel: { Name: 'qwen2-5-7b', ModelVersion: '240919' },
      TosLocation: { BucketName: 'bucket', ObjectKey: 'p/' },
    });
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers)).size).toBe(3);
    for (const r of requests) expect(r.headers.Authorization).toBeDefined();
  });

  it('retries 5xx and broken connections for idempotent actions', async () => {
    const { client, requests } = scripted([fail(500, 'InternalServiceError'), errno('ECONNRESET'), ok({})]);
    await expect(client.call('StopEndpoint', { Id: 'ep-x' })).resolves.toEqual({});
    expect(requests).toHaveLength(3);
  });

  it('gives up after maxAttempts and throws the last typed error', async () => {
    const { client, requests } = scripted([fail(503, 'ServiceUnavailableTemp'), fail(503, 'ServiceUnavailableTemp'), fail(500, 'InternalError')]);
    await expect(client.call('GetEndpoint', { Id: 'ep-x' })).rejects.toMatchObject({ kind: 'Server', code: 'InternalError' });
    expect(requests).toHaveLength(3);
  });

  it.each([
    ['a 5xx', fail(500, 'InternalServiceError')],
    ['a reset connection', errno('ECONNRESET')],
    ['a timeout', errno('ETIMEDOUT')],
  ])('does not repeat CreateEndpoint after %s: the failure is ambiguous', async (_label, failure) => {
    const { client, requests } = scripted([failure, ok({ Id: 'ep-1' })]);
    const error = await client
      .call('CreateEndpoint', { Name: 'n', ModelReference: { CustomModelId: 'cm-1' } })
      .catch((e) => e);
    expect(requests).toHaveLength(1);
    expect(isAmbiguousFailure(error)).toBe(true);
  });

  it('repeats CreateEndpoint when the connection was refused: nothing was sent', async () => {
    const { client, requests } = scripted([errno('ECONNREFUSED'), ok({ Id: 'ep-1' })]);
    await expect(client.call('CreateEndpoint', { Name: 'n', ModelReference: { CustomModelId: 'cm-1' } })).resolves.toEqual({ Id: 'ep-1' });
    expect(requests).toHaveLength(2);
  });

  it('wraps socket errors in ArkNetworkError naming the host', async () => {
    const { client } = scripted([errno('ECONNREFUSED'), errno('ECONNREFUSED'), errno('ECONNREFUSED')]);
    const error = await client.call('GetEndpoint', { Id: 'ep-x' }).catch((e) => e);
    expect(error).toBeInstanceOf(ArkNetworkError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', httpStatus: 0, maybeSent: false });
    expect(error.message).toContain('127.0.0.1:1');
  });

  it('ends a throttling backoff at once when its signal aborts, and sends nothing after it', async () => {
    const requests: HttpRequest[] = [];
    const engine = new AbortController();
    const client = new ArkClient({
      settings,
      signal: engine.signal,
      transport: async (request) => {
        requests.push(request);
        return fail(429, 'FlowLimitExceeded');
      },
      // A backoff that would never end by itself: only the abort can end the call.
      clock: { now: () => 0, sleep: () => new Promise<void>(() => undefined) },
      retry: { maxAttempts: 3, maxThrottleAttempts: 20, baseDelayMs: 1, maxDelayMs: 1 },
      random: () => 0.5,
    });
    const call = client.call('GetEndpoint', { Id: 'ep-x' });
    while (requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    engine.abort(new Error('the engine cancelled the operation'));
    await expect(call).rejects.toThrow('the engine cancelled the operation');
    await expect(client.call('GetEndpoint', { Id: 'ep-x' })).rejects.toThrow('the engine cancelled the operation');
    expect(requests).toHaveLength(1);
    expect(requests[0]!.signal).toBe(engine.signal);
  });

  it('pages through list actions until TotalCount items are read', async () => {
    const endpoint = (i: number) => ({
      Id: `ep-${i}`,
      Name: 'n',
      ModelReference: { CustomModelId: 'cm-1' },
      Status: 'Running',
      CreateTime: '2024-01-01T00:00:00Z',
      UpdateTime: '2024-01-01T00:00:00Z',
    });
    const { client, requests } = scripted([
      ok({ TotalCount: 3, PageNumber: 1, PageSize: 100, Items: [endpoint(1), endpoint(2)] }),
      ok({ TotalCount: 3, PageNumber: 2, PageSize: 100, Items: [endpoint(3)] }),
    ]);
    const items = await client.listAll('ListEndpoints', { Filter: { Name: 'n' } });
    expect(items.map((e) => e.Id)).toEqual(['ep-1', 'ep-2', 'ep-3']);
    expect(requests.map((r) => JSON.parse(r.body).PageNumber)).toEqual([1, 2]);
  });

  it('tells the caller of each page that answered, so a failure on a later page is told apart from the first', async () => {
    const endpoint = { Id: 'ep-1', Name: 'n', ModelReference: {}, Status: 'Running', CreateTime: 't', UpdateTime: 't' };
    const { client } = scripted([ok({ TotalCount: 2, Items: [endpoint] }), fail(403, 'AccessDenied')]);
    const answered: number[] = [];
    await expect(client.listAll('ListEndpoints', {}, (page) => answered.push(page))).rejects.toMatchObject({ code: 'AccessDenied' });
    expect(answered).toEqual([1]);
  });
});

describe('parseResponse', () => {
  it.each<[number, string, ArkErrorKind]>([
    [404, 'NotFound.CustomModel', 'NotFound'],
    [409, 'Duplicate.Name', 'Conflict'],
    [403, 'OperationDenied.CustomModelInUse', 'Conflict'],
    [403, 'OperationDenied.EndpointStatus', 'Conflict'],
    [403, 'OperationDenied.PermissionDenied', 'Auth'],
    [401, 'SignatureDoesNotMatch', 'Auth'],
    [401, 'InvalidAccessKey', 'Auth'],
    [403, 'AccessDenied', 'Auth'],
    [400, 'InvalidParameter.TosURLInvalid', 'Validation'],
    [400, 'MissingParameter.Name', 'Validation'],
    [400, 'Duplicate.Tags.Key', 'Validation'],
    [429, 'FlowLimitExceeded', 'Throttling'],
    [500, 'InternalServiceError', 'Server'],
    [503, 'SomethingNew', 'Server'],
    [429, 'SomethingNew', 'Throttling'],
    [400, 'SomethingNew', 'Validation'],
  ])('HTTP %i %s is %s', (status, code, kind) => {
    let thrown: unknown;
    try {
      parseResponse('GetEndpoint', fail(status, code));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ArkError);
    expect(thrown).toMatchObject({ kind, code, httpStatus: status, serviceMessage: `msg for ${code}` });
    expect((thrown as Error).message).toContain(`Ark GetEndpoint failed: ${code}: msg for ${code} (HTTP ${status}, request id ${meta.RequestId})`);
  });

  it('reads the gateway fallback shape', () => {
    expect(() => parseResponse('GetEndpoint', { status: 401, headers: {}, body: '{"HTTPCode":401,"errorcode":"InvalidAccessKey","message":"bad"}' })).toThrow(
      expect.objectContaining({ kind: 'Auth', code: 'InvalidAccessKey' }),
    );
  });

  it('classifies a non-JSON error page by HTTP status', () => {
    expect(() => parseResponse('GetEndpoint', { status: 502, headers: {}, body: '<html>Bad Gateway</html>' })).toThrow(
      expect.objectContaining({ kind: 'Server', code: 'HTTP502' }),
    );
  });

  it('reports a success answer that breaks the contract as a protocol error naming the field', () => {
    expect(() => parseResponse('GetEndpoint', ok({ Id: 'ep-1' }))).toThrow(expect.objectContaining({ kind: 'Protocol', code: 'InvalidResponse' }));
    expect(() => parseResponse('GetEndpoint', { status: 200, headers: {}, body: 'not json' })).toThrow(/expected a JSON envelope, found: not json/);
  });
});
