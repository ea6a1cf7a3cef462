import { hubUriError, isHubUri, parseHubUri } from './hub-uri';

describe('parseHubUri', () => {
  it.each([
    ['hf://Qwen/Qwen2.5-7B-Instruct', { repo: 'Qwen/Qwen2.5-7B-Instruct', revision: 'main' }],
    ['hf://acme/qwen_sft.v3@release', { repo: 'acme/qwen_sft.v3', revision: 'release' }],
    ['hf://acme/m@0123456789abcdef0123456789abcdef01234567', { repo: 'acme/m', revision: '0123456789abcdef0123456789abcdef01234567' }],
    ['hf://acme/m@refs/pr/1', { repo: 'acme/m', revision: 'refs/pr/1' }],
  ])('%s', (uri, expected) => {
    expect(parseHubUri(uri)).toEqual(expected);
  });

  it.each([
    ['hf://acme', /repo "acme" is not owner\/name/],
    ['hf://acme/m/extra', /repo "acme\/m\/extra" is not owner\/name/],
    ['hf://acme/m@', /revision "" is empty/],
    ['hf://acme/m@a@b', /more than one @/],
    ['hf://acme/m@bad rev', /revision "bad rev"/],
    ['hf://acme/m@../x', /revision "..\/x"/],
    ['hf://-acme/m', /has characters other than/],
    ['hf://ac me/m', /has characters other than/],
    ['./local/dir', /does not start with hf:\/\//],
  ])('refuses %s and says why', (uri, why) => {
    expect(parseHubUri(uri)).toBeUndefined();
    expect(hubUriError(uri)).toMatch(why);
    expect(hubUriError(uri)).toContain('expected hf://owner/name or hf://owner/name@revision');
  });

  it('tells hub sources from local paths by the scheme alone', () => {
    expect([isHubUri('hf://x'), isHubUri('/data/hf://x'), isHubUri('tos://b/p')]).toEqual([true, false, false]);
  });
});
