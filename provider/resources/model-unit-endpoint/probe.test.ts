import type { ArkClient } from '../../clients/ark/client';
import type { ProviderSettings } from '../controller';
import { runReadinessProbe } from './probe';

// What the probe puts on the wire, seen at fetch: model-unit endpoints do not support structured output (F2), so
// the body must be a plain chat completion whatever the probe's inputs are.
describe('readiness probe request', () => {
  const sent: Record<string, unknown>[] = [];
  const client = { call: async () => ({ ApiKey: 'ark-tmp-key', ExpiredTime: 0 }) } as unknown as ArkClient;
  const settings = { chatBaseUrl: 'http://127.0.0.1:1/api/v3' } as ProviderSettings;
  const completion = { id: 'c', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
  let realFetch: typeof fetch;

  beforeAll(() => {
    realFetch = global.fetch;
    global.fetch = (async (_url: unknown, init?: RequestInit) => {
      sent.push(JSON.parse(String(init?.body)));
      return new Response(JSON.stringify(completion), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
  });
  afterAll(() => {
    global.fetch = realFetch;
  });

  it.each([
    ['a prompt alone', { prompt: 'hi' }],
    ['every probe input', { prompt: 'Answer in JSON: {"ok": true}', maxTokens: 8, timeoutSeconds: 5 }],
  ])('sends no response_format for %s', async (_name, probe) => {
    sent.length = 0;
    const outcome = await runReadinessProbe(client, 'ep-1', probe, settings);
    expect(outcome.lastProbe.passed).toBe(true);
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toHaveProperty('response_format');
    expect(Object.keys(sent[0]!).sort()).toEqual(['max_tokens', 'messages', 'model', 'stream']);
  });
});
