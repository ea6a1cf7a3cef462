import { UNKNOWN } from './controller';
import { containsUnknown, diffProperties, sameValue, pickInputs } from './properties';

describe('sameValue', () => {
  it.each<[unknown, unknown, boolean]>([
    [undefined, '', true],
    [undefined, {}, true],
    [undefined, [], true],
    [null, undefined, true],
    [{ a: 1, b: undefined }, { a: 1 }, true],
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
    [{ a: 1 }, { a: 2 }, false],
    ['x', 'y', false],
    [0, undefined, false],
    [[1, 2], [2, 1], false],
  ])('%j vs %j -> %s', (a, b, expected) => expect(sameValue(a, b)).toBe(expected));
});

describe('containsUnknown', () => {
  it('finds the sentinel at any depth', () => {
    expect(containsUnknown(UNKNOWN)).toBe(true);
    expect(containsUnknown({ a: [{ b: UNKNOWN }] })).toBe(true);
    expect(containsUnknown({ a: [{ b: 'x' }] })).toBe(false);
  });
});

describe('diffProperties', () => {
  const table = { replaceOnChanges: ['r'], ignore: ['i'] };
  it.each<[Record<string, unknown>, { changed: string[]; replaces: string[] }]>([
    [{ r: 1, u: 1, i: 1 }, { changed: [], replaces: [] }],
    [{ r: 2, u: 1, i: 1 }, { changed: ['r'], replaces: ['r'] }],
    [{ r: 1, u: 2, i: 2 }, { changed: ['u'], replaces: [] }],
    [{ r: UNKNOWN, u: UNKNOWN, i: UNKNOWN }, { changed: ['r', 'u'], replaces: ['r'] }],
  ])('%j', (news, expected) => {
    expect(diffProperties({ r: 1, u: 1, i: 1 }, news, ['r', 'u', 'i'], table)).toEqual(expected);
  });
});

describe('pickInputs', () => {
  it('keeps the set input properties of the outputs and nothing else', () => {
    const outs = { name: 'a', description: undefined, status: 'Running', tags: { k: 'v' } };
    expect(pickInputs(outs, ['name', 'description', 'tags'])).toEqual({ name: 'a', tags: { k: 'v' } });
  });
});
