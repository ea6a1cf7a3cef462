import OpenAI from 'openai';
import { startArkHarness, type ArkHarness } from './emulator-ark-harness';

// Injected faults reach the official clients with the real codes; drop-response performs the action but loses the answer.

const FM = { FoundationModel: { Name: 'qwen2-5-0-5b', ModelVersion: '240919' } };

let h: ArkHarness;
beforeAll(async () => {
  h = await startArkHarness();
});
afterAll(() => h.close());
beforeEach(() => h.ark.admin.reset());

it('throttle -> 429 FlowLimitExceeded CodeN 100018 for exactly `count` calls, nothing created', async () => {
  await h.ark.admin.addFault({ service: 'ark', operation: 'CreateEndpoint', kind: 'throttle', count: 2 });
  for (let i = 0; i < 2; i++) {
    expect(await h.fail('CreateEndpoint', { Name: 'x', ModelReference: FM })).toMatchObject({ status: 429, code: 'FlowLimitExceeded', codeN: 100018 });
  }
  expect((await h.ark.admin.state()).endpoints).toHaveLength(0);
  expect(await h.ok('CreateEndpoint', { Name: 'x', ModelReference: FM })).toHaveProperty('Id');
  expect((await h.ark.admin.listFaults())[0]).toMatchObject({ fired: 2 });
});

it('server-error -> 500 InternalServiceError on the targeted action only', async () => {
  await h.ark.admin.addFault({ service: 'ark', operation: 'GetEndpoint', kind: 'server-error' });
  const { Id } = await h.ok('CreateEndpoint', { Name: 'x', ModelReference: FM });
  expect(await h.fail('GetEndpoint', { Id })).toMatchObject({ status: 500, code: 'InternalServiceError', codeN: 100023 });
  expect((await h.ok('ListEndpoints', {})).TotalCount).toBe(1);
  await h.ark.admin.clearFaults();
  expect((await h.ok('GetEndpoint', { Id })).Id).toBe(Id);
});

it('drop-response: the endpoint is created but the client only sees a broken connection', async () => {
  await h.ark.admin.addFault({ service: 'ark', operation: 'CreateEndpoint', kind: 'drop-response', count: 1 });
  const outcome = await h.call('CreateEndpoint', { Name: 'lost-answer', ModelReference: FM }).then(
    () => 'answered',
    (err: Error) => err.message,
  );
  expect(outcome).not.toBe('answered');
  const listed = await h.ok('ListEndpoints', { Filter: { Name: 'lost-answer' } });
  expect(listed.TotalCount).toBe(1);
});

it('drop-connection: nothing is created', async () => {
  await h.ark.admin.addFault({ service: 'ark', operation: 'CreateEndpoint', kind: 'drop-connection', count: 1 });
  await expect(h.call('CreateEndpoint', { Name: 'never', ModelReference: FM })).rejects.toThrow();
  expect((await h.ok('ListEndpoints', {})).TotalCount).toBe(0);
});

it('chat faults: 429 RateLimitExceeded and 500 InternalServiceError through the openai client', async () => {
  const { Id } = await h.ok('CreateEndpoint', { Name: 'c', ModelReference: FM });
  await h.ok('GetEndpoint', { Id });
  const openai = new OpenAI({ baseURL: h.ark.chatBaseUrl, apiKey: h.ark.apiKey, maxRetries: 0 });
  const ask = () => openai.chat.completions.create({ model: Id, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
  await h.ark.admin.addFault({ service: 'chat', operation: 'ChatCompletions', kind: 'throttle', count: 1 });
  await h.ark.admin.addFault({ service: 'chat', operation: 'ChatCompletions', kind: 'server-error', count: 1 });
  expect(await ask()).toMatchObject({ status: 429, code: 'RateLimitExceeded' });
  expect(await ask()).toMatchObject({ status: 500, code: 'InternalServiceError' });
  expect(await ask()).toHaveProperty('choices');
});

it('admin routes validate their bodies', async () => {
  await expect(h.ark.admin.addFault({ kind: 'explode' } as never)).rejects.toMatchObject({ status: 400, code: 'InvalidParameter' });
  await expect(h.ark.admin.createModelUnit({ slots: 0 })).rejects.toMatchObject({ status: 400 });
  await expect(h.ark.admin.failEndpoint('ep-20240101000000-abcde', 'x')).rejects.toMatchObject({ status: 404, code: 'NotFound.Endpoint' });
  await expect(h.ark.admin.setTransitions({ mode: 'after-reads', reads: -1 })).rejects.toMatchObject({ status: 400 });
  expect(await h.ark.admin.getTransitions()).toEqual({ mode: 'immediate' });
});
