import { contentDigest } from './digest';

describe('contentDigest', () => {
  const a = { path: 'a.json', size: 3, crc64: '1' };
  const b = { path: 'b/model.safetensors', size: 10, crc64: '2' };

  test('independent of order', () => {
    expect(contentDigest([a, b])).toBe(contentDigest([b, a]));
    expect(contentDigest([a, b])).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test.each([
    ['path', { ...a, path: 'c.json' }],
    ['size', { ...a, size: 4 }],
    ['crc64', { ...a, crc64: '9' }],
  ])('changes when %s changes', (_what, changed) => {
    expect(contentDigest([changed, b])).not.toBe(contentDigest([a, b]));
  });

  test('a removed file changes it; fields cannot run together', () => {
    expect(contentDigest([a])).not.toBe(contentDigest([a, b]));
    expect(contentDigest([{ path: 'x1', size: 23, crc64: '4' }])).not.toBe(contentDigest([{ path: 'x', size: 123, crc64: '4' }]));
  });
});
