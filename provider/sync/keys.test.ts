import { assertInsidePrefix, keyFor, normalizePrefix, PrefixError, relativeKey } from './keys';

describe('normalizePrefix', () => {
  test.each([
    ['models/qwen', 'models/qwen/'],
    ['models/qwen/', 'models/qwen/'],
    ['/models/qwen/', 'models/qwen/'],
    ['a', 'a/'],
  ])('%s -> %s', (input, expected) => expect(normalizePrefix(input)).toBe(expected));

  test.each(['', '/', '//', 'a//b', 'a/../b', './a', 'a/.'])('refuses %j', (input) => {
    expect(() => normalizePrefix(input)).toThrow(PrefixError);
  });
});

describe('keys stay inside the prefix', () => {
  test('keyFor', () => {
    expect(keyFor('p/', 'a/b.json')).toBe('p/a/b.json');
    for (const bad of ['', '..', '../x', 'a/../../x', '/x', 'a\\b', 'a//b', './a']) expect(() => keyFor('p/', bad)).toThrow(PrefixError);
  });

  test('relativeKey', () => {
    expect(relativeKey('p/', 'p/a')).toBe('a');
    expect(relativeKey('p/', 'p/')).toBeUndefined();
    expect(relativeKey('p/', 'p2/a')).toBeUndefined();
    expect(relativeKey('p/', 'p/../a')).toBeUndefined();
  });

  test('assertInsidePrefix refuses the prefix itself, siblings and escapes', () => {
    expect(() => assertInsidePrefix('p/', 'p/a')).not.toThrow();
    for (const bad of ['p/', 'p', 'p2/a', 'q/a', 'p/../q', 'p//a']) expect(() => assertInsidePrefix('p/', bad)).toThrow(/refusing to delete/);
  });
});
