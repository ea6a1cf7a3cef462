import { ChatCompletionSchema, ChatErrorSchema } from '../../api/chat';
import type { ArkClient } from '../../clients/ark/client';
import { type ControllerContext, PartialFailureError, type ProviderSettings } from '../controller';
import { DEFAULT_PROBE_MAX_TOKENS, DEFAULT_PROBE_TIMEOUT_SECONDS, type Inputs, type LastProbe, type Outputs, type ReadinessProbe } from './schema';

/**
 * The readiness probe: one chat completion through the endpoint's own Chat API, authenticated with a short-lived
 * key from GetApiKey (scoped to this endpoint), so "Running" is confirmed by an answer and not only by a status.
 */

/** Lifetime of the probe's API key: long enough for one request, short enough to be worthless afterwards. */
export const PROBE_KEY_SECONDS = 300;

export interface ProbeOutcome {
  lastProbe: LastProbe;
  /** Why it failed, naming the HTTP status and error code; absent when it passed. */
  failure?: string;
}

export async function runReadinessProbe(
  client: ArkClient,
  endpointId: string,
  probe: ReadinessProbe,
  settings: ProviderSettings,
  /** `signal`: ControllerContext.signal. A cancelled operation ends the probe at once and is no probe result. */
  { now = Date.now, signal }: { now?: () => number; signal?: AbortSignal } = {},
): Promise<ProbeOutcome> {
  const { ApiKey } = await client.call('GetApiKey', { DurationSeconds: PROBE_KEY_SECONDS, ResourceType: 'endpoint', ResourceIds: [endpointId] });
  const started = now();
  const time = new Date(started).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const url = `${settings.chatBaseUrl.replace(/\/+$/, '')}/chat/completions`;
  const body = probeRequestBody(endpointId, probe);
  const timeoutSeconds = probe.timeoutSeconds ?? DEFAULT_PROBE_TIMEOUT_SECONDS;
  const what = `readiness probe of endpoint ${endpointId}`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${ApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutSeconds * 1000)]) : AbortSignal.timeout(timeoutSeconds * 1000),
    });
    text = await response.text();
  } catch (error) {
    signal?.throwIfAborted();
    const code = networkCode(error);
    const lastProbe: LastProbe = { time, latencyMs: now() - started, passed: false, errorCode: code };
    return { lastProbe, failure: `${what} got no answer from ${url} (${code}: ${(error as Error).message})` };
  }
  const latencyMs = now() - started;
  const json = parseJson(text);
  const answer = response.ok ? ChatCompletionSchema.safeParse(json) : undefined;
  if (answer?.success && answer.data.choices.length > 0) {
    return { lastProbe: { time, latencyMs, passed: true, httpStatus: response.status, servedModel: answer.data.model } };
  }
  const error = ChatErrorSchema.safeParse(json);
  const errorCode = error.success ? error.data.error.code : response.ok ? 'InvalidResponse' : `HTTP${response.status}`;
  const detail = error.success ? error.data.error.message : response.ok ? 'the answer is not a chat completion with a choice' : text.slice(0, 200);
  return {
    lastProbe: { time, latencyMs, passed: false, httpStatus: response.status, errorCode },
    failure: `${what} failed: HTTP ${response.status} ${errorCode}: ${detail}`,
  };
}

/**
 * The probe's chat request: the plainest completion there is. Never `response_format` (nor tools): model-unit
 * endpoints do not support structured output ("模型单元不支持与结构化输出功能一起使用", F2), so a probe asking
 * for it would fail on an endpoint that serves chat perfectly well.
 */
export function probeRequestBody(endpointId: string, probe: ReadinessProbe) {
  return { model: endpointId, messages: [{ role: 'user', content: probe.prompt }], max_tokens: probe.maxTokens ?? DEFAULT_PROBE_MAX_TOKENS, stream: false };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function networkCode(error: unknown): string {
  const e = error as { name?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError') return 'Timeout';
  return e?.cause?.code ?? e?.name ?? 'NetworkError';
}

/**
 * After the endpoint is Running: probe it when the inputs ask for it. A failed probe is a partial failure (the
 * endpoint exists and stays in the state, with `lastProbe` saying what happened); `needsProbe` makes the next
 * diff an update, so the next `pulumi up` probes again.
 */
export async function probeWhenAsked(client: ArkClient, id: string, outs: Outputs, inputs: Inputs, ctx: ControllerContext): Promise<Outputs> {
  if (!inputs.readinessProbe) return outs;
  const { lastProbe, failure } = await runReadinessProbe(client, id, inputs.readinessProbe, ctx.settings(), { signal: ctx.signal });
  const probed: Outputs = { ...outs, lastProbe };
  if (failure) throw new PartialFailureError(id, probed, `${failure}. The endpoint stays in the state; the next \`pulumi up\` probes it again.`);
  ctx.log.info(`endpoint ${id}: readiness probe answered in ${lastProbe.latencyMs} ms (HTTP ${lastProbe.httpStatus}, model ${lastProbe.servedModel})`);
  return probed;
}

/** Whether the state's last probe did not pass while the inputs ask for one. */
export function needsProbe(olds: Outputs, news: Inputs): boolean {
  return news.readinessProbe !== undefined && olds.lastProbe?.passed !== true;
}
