import { TosError } from './errors';
import { parseRange } from './object-handlers';

describe('parseRange', () => {
  it.each([
    ['bytes=0-4', 10, [0, 5]],
    ['bytes=5-', 10, [5, 10]],
    ['bytes=-3', 10, [7, 10]],
    ['bytes=-30', 10, [0, 10]],
    ['bytes=8-100', 10, [8, 10]],
    ['bytes=0-0', 1, [0, 1]],
  ])('%s of %i bytes is %j', (header, size, expected) => {
    expect(parseRange(header, size, '/b/k')).toEqual(expected);
  });

  it.each([[undefined], ['bytes=1-2,4-5'], ['items=0-1'], ['bytes=5-2'], ['bytes=-']])('ignores %j (whole object)', (header) => {
    expect(parseRange(header, 10, '/b/k')).toBeUndefined();
  });

  it.each([['bytes=10-'], ['bytes=10-20'], ['bytes=-0']])('refuses %s of a 10-byte object as not satisfiable', (header) => {
    expect(() => parseRange(header, 10, '/b/k')).toThrow(TosError);
    try {
      parseRange(header, 10, '/b/k');
    } catch (err) {
      expect((err as TosError).status).toBe(416);
    }
  });
});
