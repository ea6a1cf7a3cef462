import { fitsLayout, partLayout } from './upload';

describe('multipart part layout', () => {
  test('parts of partSize, the last one shorter; numbered from 1', () => {
    expect(partLayout(25, 10)).toEqual([
      { partNumber: 1, start: 0, end: 10 },
      { partNumber: 2, start: 10, end: 20 },
      { partNumber: 3, start: 20, end: 25 },
    ]);
    expect(partLayout(20, 10)).toHaveLength(2);
  });

  test.each([
    ['no parts yet', [], true],
    ['whole parts in range', [{ partNumber: 2, size: 10 }], true],
    ['the short last part', [{ partNumber: 3, size: 5 }], true],
    ['another part size', [{ partNumber: 1, size: 12 }], false],
    ['a part beyond the file', [{ partNumber: 4, size: 10 }], false],
    ['part number 0', [{ partNumber: 0, size: 10 }], false],
  ])('an open upload with %s fits: %s', (_what, parts, fits) => {
    expect(fitsLayout(parts.map((p) => ({ ...p, etag: 'e' })), partLayout(25, 10))).toBe(fits);
  });
});
