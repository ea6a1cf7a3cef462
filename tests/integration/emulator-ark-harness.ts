import { createHash } from 'node:crypto';
import { stringify } from 'node:querystring';
import axios from 'axios';
import { Service, Signer } from '@volcengine/openapi';
import type { ArkAction, ArkRequest, ArkResult } from '../../provider/api/ark';
import { startArkLocal, type ArkLocal, type ArkLocalOptions } from '../../emulator';

/**
 * ark-local in-process, driven with the official `@volcengine/openapi` client exactly as a user configures it.
 * The SDK resolves every HTTP status with the body only, so an axios interceptor (the SDK uses the shared axios
 * instance) records the status of each answer for the assertions.
 */
export interface ArkErrorAnswer {
  status: number;
  code: string;
  codeN?: number;
  message: string;
}

export interface ArkHarness {
  ark: ArkLocal;
  service: Service;
  /** Calls an action; resolves `{status, body}` whatever the outcome. */
  call(action: string, body: unknown): Promise<{ status: number; body: ArkEnvelope }>;
  /** Calls an action that must succeed and returns its Result. */
  ok<A extends ArkAction>(action: A, body: ArkRequest<A>): Promise<ArkResult<A>>;
  /** Calls an action that must fail and returns the error with the HTTP status. */
  fail(action: string, body: unknown): Promise<ArkErrorAnswer>;
  /** Sends a request signed by the SDK Signer (a string body is sent as is), after `tamper` changes it, over plain fetch. */
  raw(action: string, body: unknown, tamper?: (r: RawRequest) => void, signAt?: Date): Promise<{ status: number; body: ArkEnvelope }>;
  close(): Promise<void>;
}

export interface RawRequest {
  headers: Record<string, string>;
  body: string;
  query: string;
}

export interface ArkEnvelope {
  ResponseMetadata: { RequestId: string; Action: string; Version: string; Service: string; Region: string; Error?: { Code: string; Message: string; CodeN?: number } };
  Result?: unknown;
}

const statuses = new WeakMap<object, number>();
axios.interceptors.response.use((response) => {
  if (response.data && typeof response.data === 'object') statuses.set(response.data as object, response.status);
  return response;
});

export function arkService(ark: ArkLocal, secretKey = ark.credential.secretAccessKey, accessKeyId = ark.credential.accessKeyId): Service {
  return new Service({
    host: ark.tosEndpoint,
    protocol: 'http:',
    region: ark.region,
    serviceName: 'ark',
    defaultVersion: '2024-01-01',
    accessKeyId,
    secretKey,
  });
}

export async function startArkHarness(opts: ArkLocalOptions = {}): Promise<ArkHarness> {
  const ark = await startArkLocal(opts);
  const service = arkService(ark);
  const call = async (action: string, body: unknown) => {
    const data = (await service.createJSONAPI(action)(body as never)) as unknown as ArkEnvelope;
    return { status: statuses.get(data as object) ?? -1, body: data };
  };
  return {
    ark,
    service,
    call,
    async ok(action, body) {
      const { status, body: envelope } = await call(action, body);
      if (status !== 200 || envelope.ResponseMetadata.Error) {
        throw new Error(`${action} failed with HTTP ${status}: ${JSON.stringify(envelope.ResponseMetadata.Error)}`);
      }
      return envelope.Result as never;
    },
    async fail(action, body) {
      const { status, body: envelope } = await call(action, body);
      const error = envelope.ResponseMetadata?.Error;
      if (!error) throw new Error(`${action} was expected to fail but answered HTTP ${status} ${JSON.stringify(envelope)}`);
      expect(envelope).not.toHaveProperty('Result');
      return { status, code: error.Code, codeN: error.CodeN, message: error.Message };
    },
    async raw(action, body, tamper, signAt) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const request = {
        region: ark.region,
        method: 'POST',
        pathname: '/',
        params: { Action: action, Version: '2024-01-01' },
        headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Content-Sha256': createHash('sha256').update(text).digest('hex') } as Record<string, string>,
      };
      new Signer(request as never, 'ark').addAuthorization({ accessKeyId: ark.credential.accessKeyId, secretKey: ark.credential.secretAccessKey }, signAt);
      const raw: RawRequest = { headers: request.headers, body: text, query: stringify(request.params) };
      tamper?.(raw);
      const response = await fetch(`${ark.url}/?${raw.query}`, { method: 'POST', headers: raw.headers, body: raw.body });
      return { status: response.status, body: (await response.json()) as ArkEnvelope };
    },
    close: () => ark.close(),
  };
}
