import OpenAI from 'openai';
import { startArkHarness, type ArkHarness } from './emulator-ark-harness';

// The Chat API through the official `openai` client: keys, endpoint states, synthetic replies, streaming, errors.

const FM = { FoundationModel: { Name: 'qwen2-5-0-5b', ModelVersion: '240919' } };
const MESSAGES = [{ role: 'user' as const, content: 'Say hello' }];

let h: ArkHarness;
let endpointId: string;
let openai: OpenAI;
beforeAll(async () => {
  h = await startArkHarness({ transitions: { mode: 'after-reads', reads: 1 } });
  endpointId = (await h.ok('CreateEndpoint', { Name: 'chat', ModelReference: FM })).Id;
  await h.ok('GetEndpoint', { Id: endpointId });
  expect((await h.ok('GetEndpoint', { Id: endpointId })).Status).toBe('Running');
  openai = new OpenAI({ baseURL: h.ark.chatBaseUrl, apiKey: h.ark.apiKey, maxRetries: 0 });
});
afterAll(() => h.close());

async function chatError(client: OpenAI, body: Record<string, unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await client.chat.completions.create({ model: endpointId, messages: MESSAGES, ...body } as never).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

describe('completions', () => {
  it('answers a synthetic, deterministic reply that says so, with plausible usage', async () => {
    const a = await openai.chat.completions.create({ model: endpointId, messages: MESSAGES });
    const b = await openai.chat.completions.create({ model: endpointId, messages: MESSAGES });
    expect(a.object).toBe('chat.completion');
    // The real service names the model served, not the endpoint.
    expect(a.model).toBe('qwen2-5-0-5b-240919');
    expect(a.choices[0]!.message.content).toMatch(new RegExp(`^\\[ark-local synthetic reply from ${endpointId} serving qwen2-5-0-5b-240919\\]`));
    expect(a.choices[0]!.finish_reason).toBe('stop');
    expect(b.choices[0]!.message.content).toBe(a.choices[0]!.message.content);
    expect(a.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: a.choices[0]!.message.content!.split(' ').length });
    expect(a.usage!.total_tokens).toBe(a.usage!.prompt_tokens + a.usage!.completion_tokens);
    const other = await openai.chat.completions.create({ model: endpointId, messages: [{ role: 'user', content: 'Something else entirely' }] });
    expect(other.usage!.prompt_tokens).toBeGreaterThan(a.usage!.prompt_tokens);
  });

  it('respects max_tokens with finish_reason length', async () => {
    const r = await openai.chat.completions.create({ model: endpointId, messages: MESSAGES, max_tokens: 3 });
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage!.completion_tokens).toBe(3);
    expect(r.choices[0]!.message.content!.split(' ')).toHaveLength(3);
  });

  it('streams SSE chunks that add up to the same reply, with usage when asked', async () => {
    const full = await openai.chat.completions.create({ model: endpointId, messages: MESSAGES });
    const stream = await openai.chat.completions.create({ model: endpointId, messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: unknown;
    let nullUsage = 0;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      expect(chunk.model).toBe('qwen2-5-0-5b-240919');
      // With include_usage every chunk but the last carries usage: null.
      if (chunk.choices.length > 0) expect(chunk.usage).toBeNull();
      if (chunk.usage === null) nullUsage++;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(full.choices[0]!.message.content);
    expect(finish).toBe('stop');
    expect(usage).toEqual(full.usage);
    expect(nullUsage).toBeGreaterThan(2);
  });

  it('accepts a temporary key from GetApiKey for the endpoints it names only', async () => {
    const { ApiKey, ExpiredTime } = await h.ok('GetApiKey', { DurationSeconds: 3600, ResourceType: 'endpoint', ResourceIds: [endpointId] });
    expect(ExpiredTime).toBeGreaterThan(Date.now() / 1000 + 3500);
    const scoped = new OpenAI({ baseURL: h.ark.chatBaseUrl, apiKey: ApiKey, maxRetries: 0 });
    expect((await scoped.chat.completions.create({ model: endpointId, messages: MESSAGES })).choices).toHaveLength(1);

    const second = (await h.ok('CreateEndpoint', { Name: 'other', ModelReference: FM })).Id;
    await h.ok('GetEndpoint', { Id: second });
    const err = await scoped.chat.completions.create({ model: second, messages: MESSAGES }).catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err).toMatchObject({ status: 404, code: 'InvalidEndpointOrModel.NotFound' });

    const expired = await h.ok('GetApiKey', { DurationSeconds: 0, ResourceType: 'endpoint', ResourceIds: [endpointId] });
    const old = new OpenAI({ baseURL: h.ark.chatBaseUrl, apiKey: expired.ApiKey, maxRetries: 0 });
    expect(await chatError(old, {})).toMatchObject({ status: 401, code: 'AuthenticationError' });
  });
});

describe('errors: {"error":{code,message,param?,type}} and X-Request-Id', () => {
  it('unknown key -> 401 AuthenticationError', async () => {
    const bad = new OpenAI({ baseURL: h.ark.chatBaseUrl, apiKey: 'nope', maxRetries: 0 });
    const err = await chatError(bad, {});
    expect(err).toMatchObject({ status: 401, code: 'AuthenticationError', type: 'Unauthorized' });
    expect(err.message).toMatch(/Request ID: \w+/);
    expect(err.requestID).toMatch(/^\d{14}[0-9a-f]{20}$/);
  });

  it('unknown endpoint -> 404 InvalidEndpointOrModel.NotFound naming it', async () => {
    const err = await chatError(openai, { model: 'ep-20240101000000-abcde' });
    expect(err).toMatchObject({ status: 404, code: 'InvalidEndpointOrModel.NotFound', param: 'model' });
    expect(err.message).toContain('ep-20240101000000-abcde');
  });

  it('a Stopped or Scheduling endpoint -> 400 InvalidEndpoint.ClosedEndpoint', async () => {
    await h.ok('StopEndpoint', { Id: endpointId });
    expect(await chatError(openai, {})).toMatchObject({ status: 400, code: 'InvalidEndpoint.ClosedEndpoint' });
    await h.ok('StartEndpoint', { Id: endpointId });
    expect(await chatError(openai, {})).toMatchObject({ status: 400, code: 'InvalidEndpoint.ClosedEndpoint' });
    await h.ok('GetEndpoint', { Id: endpointId });
    expect((await h.ok('GetEndpoint', { Id: endpointId })).Status).toBe('Running');
  });

  it("beyond the endpoint's RateLimit -> 429 RateLimitExceeded.EndpointRPMExceeded / EndpointTPMExceeded", async () => {
    const limited = (await h.ok('CreateEndpoint', { Name: 'limited', ModelReference: FM, RateLimit: { Rpm: 2, Tpm: 1_000_000 } })).Id;
    await h.ok('GetEndpoint', { Id: limited });
    expect((await h.ok('GetEndpoint', { Id: limited })).Status).toBe('Running');
    const call = () => openai.chat.completions.create({ model: limited, messages: MESSAGES });
    await call();
    await call();
    const rpm = await chatError(openai, { model: limited });
    expect(rpm).toMatchObject({ status: 429, code: 'RateLimitExceeded.EndpointRPMExceeded' });
    expect(rpm.message).toContain(limited);
    // A raised limit applies at once; a tiny TPM refuses a request whose tokens do not fit.
    await h.ok('UpdateEndpoint', { Id: limited, DryRun: false, RateLimit: { Rpm: 10, Tpm: 1_000_000 } });
    await call();
    await h.ok('UpdateEndpoint', { Id: limited, DryRun: false, RateLimit: { Rpm: 10, Tpm: 5 } });
    expect(await chatError(openai, { model: limited })).toMatchObject({ status: 429, code: 'RateLimitExceeded.EndpointTPMExceeded' });
  });

  it('missing or invalid parameters -> 400 MissingParameter / InvalidParameter with param', async () => {
    expect(await chatError(openai, { messages: undefined })).toMatchObject({ status: 400, code: 'MissingParameter', param: 'messages' });
    expect(await chatError(openai, { model: undefined })).toMatchObject({ status: 400, code: 'MissingParameter', param: 'model' });
    expect(await chatError(openai, { temperature: 7 })).toMatchObject({ status: 400, code: 'InvalidParameter', param: 'temperature' });
    expect(await chatError(openai, { messages: [] })).toMatchObject({ status: 400, code: 'InvalidParameter', param: 'messages' });
  });

  it('structured output on a model-unit endpoint -> 400 InvalidParameter response_format (units do not support it)', async () => {
    const unit = await h.ark.admin.createModelUnit({});
    const onUnit = (await h.ok('CreateEndpoint', { Name: 'on-unit', ModelReference: FM, ModelUnitId: unit.Id })).Id;
    await h.ok('GetEndpoint', { Id: onUnit });
    expect((await h.ok('GetEndpoint', { Id: onUnit })).Status).toBe('Running');
    expect(await chatError(openai, { model: onUnit, response_format: { type: 'json_object' } })).toMatchObject({ status: 400, code: 'InvalidParameter', param: 'response_format' });
    await expect(openai.chat.completions.create({ model: onUnit, messages: MESSAGES, response_format: { type: 'text' } })).resolves.toBeDefined();
    // Pay-per-token endpoints are not model units: no such refusal.
    await expect(openai.chat.completions.create({ model: endpointId, messages: MESSAGES, response_format: { type: 'json_object' } })).resolves.toBeDefined();
  });

  it('malformed JSON -> 400 InvalidParameter', async () => {
    const response = await fetch(`${h.ark.chatBaseUrl}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${h.ark.apiKey}` }, body: '{"model":' });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('InvalidParameter');
  });
});
