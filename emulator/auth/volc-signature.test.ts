import { createHash } from 'node:crypto';
import { Signer } from '@volcengine/openapi';
import { canonicalQuery, computeSignature, verifyVolcSignature, type SignedRequest } from './volc-signature';

// Reference vector: tos-protocol.md §E.2 (the SDK run with a frozen clock).
const AK = 'AKLTexample';
const SK = 'c2VjcmV0LWV4YW1wbGU=';
const BODY = '{"PageNumber":1,"PageSize":10}';
const BODY_SHA = '962520a366e2aeff3017e4b7b013972ae935d1c9b162f0536ce8a0fab5e1c1fa';
const X_DATE = '20240102T030405Z';
const SIGNATURE = '3b419b61144b8f15cbf3f59fa48f7c5d04533b5a307f74911d2a3b3d9f844946';
const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);
const credentials = new Map([[AK, SK]]);
const opts = { credentials, service: 'ark', region: 'cn-beijing', now: NOW };

function vectorRequest(overrides: Partial<SignedRequest> = {}, headers: Record<string, string | undefined> = {}): SignedRequest {
  return {
    method: 'POST',
    path: '/',
    rawQuery: 'Action=ListEndpoints&Version=2024-01-01',
    body: Buffer.from(BODY),
    ...overrides,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-date': X_DATE,
      'x-content-sha256': BODY_SHA,
      authorization: `HMAC-SHA256 Credential=${AK}/20240102/cn-beijing/ark/request, SignedHeaders=x-content-sha256;x-date, Signature=${SIGNATURE}`,
      ...headers,
    },
  };
}

describe('computeSignature', () => {
  it('reproduces the reference test vector', () => {
    expect(createHash('sha256').update(BODY).digest('hex')).toBe(BODY_SHA);
    const signature = computeSignature({
      secretKey: SK,
      method: 'POST',
      path: '/',
      canonicalQuery: 'Action=ListEndpoints&Version=2024-01-01',
      headers: { 'x-date': X_DATE, 'x-content-sha256': BODY_SHA },
      signedHeaders: ['x-content-sha256', 'x-date'],
      payloadHash: BODY_SHA,
      xDate: X_DATE,
      region: 'cn-beijing',
      service: 'ark',
    });
    expect(signature).toBe(SIGNATURE);
  });

  it('agrees with the SDK Signer on a query that needs re-encoding', () => {
    const reqObj = {
      region: 'cn-beijing',
      method: 'POST',
      pathname: '/',
      params: { Action: 'ListEndpoints', Version: '2024-01-01', Name: "a b*c/é!'()~" },
      headers: { 'Content-Type': 'application/json; charset=utf-8' } as Record<string, string>,
      body: { PageNumber: 2 },
    };
    new Signer(reqObj as never, 'ark').addAuthorization({ accessKeyId: AK, secretKey: SK }, new Date(NOW));
    const headers = Object.fromEntries(Object.entries(reqObj.headers).map(([k, v]) => [k.toLowerCase(), v]));
    // querystring.stringify is what the SDK puts on the wire.
    const rawQuery = require('node:querystring').stringify(reqObj.params);
    const result = verifyVolcSignature({ method: 'POST', path: '/', rawQuery, headers, body: Buffer.from(JSON.stringify(reqObj.body)) }, opts);
    expect(result).toEqual({ ok: true, accessKeyId: AK });
  });
});

describe('canonicalQuery', () => {
  it.each([
    ['Version=2024-01-01&Action=X', 'Action=X&Version=2024-01-01'],
    ['b=2&a=1&a=0', 'a=0&a=1&b=2'],
    ['Name=a%20b*c%2F%C3%A9!%27()~', 'Name=a%20b%2Ac%2F%C3%A9%21%27%28%29~'],
    ['Empty=&Flag', 'Empty=&Flag='],
    ['', ''],
  ])('%s -> %s', (raw, expected) => expect(canonicalQuery(raw)).toBe(expected));
});

describe('verifyVolcSignature', () => {
  it('accepts the reference request', () => {
    expect(verifyVolcSignature(vectorRequest(), opts)).toEqual({ ok: true, accessKeyId: AK });
  });

  const auth = (credential: string, rest = `SignedHeaders=x-content-sha256;x-date, Signature=${SIGNATURE}`) => `HMAC-SHA256 Credential=${credential}, ${rest}`;

  it.each<[string, Partial<SignedRequest>, Record<string, string | undefined>, Record<string, unknown>, string]>([
    ['no Authorization', {}, { authorization: undefined }, opts, 'MissingAuthenticationToken'],
    ['another algorithm', {}, { authorization: `AWS4-HMAC-SHA256 Credential=${AK}/20240102/cn-beijing/ark/request` }, opts, 'InvalidAuthorization'],
    ['no Signature', {}, { authorization: `HMAC-SHA256 Credential=${AK}/20240102/cn-beijing/ark/request, SignedHeaders=x-date` }, opts, 'InvalidAuthorization'],
    ['Credential with 3 parts', {}, { authorization: auth(`${AK}/20240102/cn-beijing`) }, opts, 'InvalidCredential'],
    ['Credential for another service', {}, { authorization: auth(`${AK}/20240102/cn-beijing/iam/request`) }, opts, 'InvalidCredential'],
    ['Credential for another region', {}, { authorization: auth(`${AK}/20240102/cn-shanghai/ark/request`) }, opts, 'InvalidCredential'],
    ['no X-Date', {}, { 'x-date': undefined }, opts, 'MissingRequestInfo'],
    ['malformed X-Date', {}, { 'x-date': '2024-01-02' }, opts, 'InvalidTimestamp'],
    ['X-Date 16 minutes old', {}, {}, { ...opts, now: NOW + 16 * 60 * 1000 }, 'InvalidTimestamp'],
    ['unknown access key', {}, { authorization: auth(`AKLTother/20240102/cn-beijing/ark/request`) }, opts, 'InvalidAccessKey'],
    ['wrong secret', {}, {}, { ...opts, credentials: new Map([[AK, 'other']]) }, 'SignatureDoesNotMatch'],
    ['tampered body', { body: Buffer.from('{"PageNumber":2,"PageSize":10}') }, {}, opts, 'SignatureDoesNotMatch'],
    ['tampered query', { rawQuery: 'Action=DeleteEndpoint&Version=2024-01-01' }, {}, opts, 'SignatureDoesNotMatch'],
    ['signed header missing', {}, { authorization: auth(`${AK}/20240102/cn-beijing/ark/request`, `SignedHeaders=x-content-sha256;x-date;x-custom, Signature=${SIGNATURE}`) }, opts, 'SignatureDoesNotMatch'],
  ])('%s -> %s', (_name, overrides, headers, options, code) => {
    const result = verifyVolcSignature(vectorRequest(overrides, headers), options as typeof opts);
    expect(result).toMatchObject({ ok: false, code });
    expect((result as { message: string }).message.length).toBeGreaterThan(10);
  });

  it('accepts X-Date up to 15 minutes away on either side', () => {
    expect(verifyVolcSignature(vectorRequest(), { ...opts, now: NOW + 15 * 60 * 1000 }).ok).toBe(true);
    expect(verifyVolcSignature(vectorRequest(), { ...opts, now: NOW - 15 * 60 * 1000 }).ok).toBe(true);
  });
});
