import { redactAuthorization, redactBody, redactHeaders, redactUrl } from './wire';

describe('wire redaction', () => {
  it('keeps the scope and signed headers of an Authorization header, drops the key and signature', () => {
    const value = `HMAC-SHA256 Credential=AKLTsecretish/20260101/cn-beijing/ark/request, SignedHeaders=content-type;host;x-date, Signature=${'ab'.repeat(32)}`;
    expect(redactAuthorization(value)).toBe(
      'HMAC-SHA256 Credential=<redacted>/20260101/cn-beijing/ark/request, SignedHeaders=content-type;host;x-date, Signature=<redacted>',
    );
  });

  it('redacts secret headers whatever their case, keeps the rest', () => {
    expect(redactHeaders({ 'X-Security-Token': 'sts', Authorization: 'HMAC-SHA256 Credential=AK/x, Signature=ff', 'X-Date': '20260101T000000Z' })).toEqual({
      'X-Security-Token': '<redacted>',
      Authorization: 'HMAC-SHA256 Credential=<redacted>/x, Signature=<redacted>',
      'X-Date': '20260101T000000Z',
    });
  });

  it('redacts presigned query credentials and credential fields in bodies', () => {
    expect(redactUrl('http://h/k?X-Tos-Credential=AK%2F1&X-Tos-Signature=ff&x=1')).toBe('http://h/k?X-Tos-Credential=<redacted>&X-Tos-Signature=<redacted>&x=1');
    expect(redactBody({ Result: { ApiKey: 'ark-tmp-1', Items: [{ Id: 'ep-1' }] } })).toEqual({ Result: { ApiKey: '<redacted>', Items: [{ Id: 'ep-1' }] } });
  });
});
