import { type ArkLocal, startArkLocal } from '../../emulator';
import { ArkClient } from '../../provider/clients/ark/client';
import { ArkAuthError, ArkNetworkError, ArkNotFoundError, ArkValidationError } from '../../provider/clients/ark/errors';
import { rejection } from './ark-client.fixtures';

/** The signed client against ark-local: signatures, typed errors with request ids, retries under faults. */
// Waits poll for real and retries back off for real (bounded); the jest default of 5 s is too tight on a busy CI.
jest.setTimeout(60_000);

let ark: ArkLocal;
const client = (overrides: Partial<ReturnType<ArkLocal['providerSettings']>> = {}) =>
  new ArkClient({ settings: { ...ark.providerSettings(), ...overrides }, retry: { maxAttempts: 4, maxThrottleAttempts: 20, baseDelayMs: 5, maxDelayMs: 50 } });

beforeAll(async () => {
  ark = await startArkLocal({ quiet: true });
});
afterAll(async () => {
  await ark?.close();
});
beforeEach(async () => {
  await ark.admin.clearFaults();
});

test('signed calls are accepted and answers parsed', async () => {
  await expect(client().call('ListEndpoints', { PageSize: 10 })).resolves.toMatchObject({ TotalCount: 0, Items: [] });
});

test('a wrong secret is an Auth error carrying code, status and request id', async () => {
  const error = await rejection(client({ secretAccessKey: 'wrong' }).call('ListEndpoints', {}));
  expect(error).toBeInstanceOf(ArkAuthError);
  expect(error).toMatchObject({ code: 'SignatureDoesNotMatch', httpStatus: 401, action: 'ListEndpoints' });
  expect(error.requestId).toMatch(/^\d{14}[0-9A-F]{18}$/);
});

test('an unknown access key is an Auth error', async () => {
  await expect(client({ accessKeyId: 'AKLTnobody' }).call('ListEndpoints', {})).rejects.toBeInstanceOf(ArkAuthError);
});

test('a missing endpoint is NotFound', async () => {
  const error = await rejection(client().call('GetEndpoint', { Id: 'ep-20240101000000-abcde' }));
  expect(error).toBeInstanceOf(ArkNotFoundError);
  expect(error.code).toBe('NotFound.Endpoint');
  expect(error.httpStatus).toBe(404);
});

test('a request the service refuses is a Validation error', async () => {
  const error = await rejection(
    client().call('UploadModel', {
      Name: 'm',
      FoundationModel: { Name: 'qwen2-5-0-5b', ModelVersion: '240919' },
      TosLocation: { BucketName: 'no-such-bucket', ObjectKey: 'x/' },
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'a', Value: '2' },
      ],
    }),
  );
  expect(error).toBeInstanceOf(ArkValidationError);
  expect(error.code).toBe('Duplicate.Tags.Key');
});

test('throttling and server errors on reads are retried until the answer comes', async () => {
  await ark.admin.addFault({ service: 'ark', operation: 'ListEndpoints', kind: 'throttle', count: 3 });
  await ark.admin.addFault({ service: 'ark', operation: 'ListEndpoints', kind: 'server-error', count: 2 });
  await expect(client().call('ListEndpoints', {})).resolves.toMatchObject({ TotalCount: 0 });
  expect((await ark.admin.listFaults()).map((f) => f.fired)).toEqual([3, 2]);
});

test('a dropped connection on an idempotent read is retried', async () => {
  await ark.admin.addFault({ service: 'ark', operation: 'ListCustomModels', kind: 'drop-connection', count: 2 });
  await expect(client().call('ListCustomModels', {})).resolves.toMatchObject({ TotalCount: 0 });
});

test('a lost CreateEndpoint answer is not repeated by the client: it surfaces as an ambiguous network error', async () => {
  await ark.admin.addFault({ service: 'ark', operation: 'CreateEndpoint', kind: 'drop-connection', count: 1 });
  const error = await rejection(client().call('CreateEndpoint', { Name: 'x', ModelReference: { CustomModelId: 'cm-20240101000000-abcde' } }));
  expect(error).toBeInstanceOf(ArkNetworkError);
  expect(error.maybeSent).toBe(true);
  expect((await ark.admin.listFaults())[0].fired).toBe(1);
});

test('nothing listening is a network error that names the host', async () => {
  const error = await rejection(client({ arkEndpoint: 'http://127.0.0.1:9' }).call('ListEndpoints', {}));
  expect(error).toBeInstanceOf(ArkNetworkError);
  expect(error).toMatchObject({ code: 'ECONNREFUSED', maybeSent: false });
  expect(error.message).toContain('127.0.0.1:9');
});
