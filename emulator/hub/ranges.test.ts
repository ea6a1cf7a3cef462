import { parseRange } from './ranges';

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', { start: 0, end: 0 }],
    ['bytes=2-', { start: 2, end: 9 }],
    ['bytes=5-100', { start: 5, end: 9 }],
    ['bytes=-3', { start: 7, end: 9 }],
    ['bytes=10-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=5-3', undefined],
    ['bytes=0-1,4-5', undefined],
    ['items=0-1', undefined],
    [undefined, undefined],
  ])('%s of a 10-byte file', (header, expected) => {
    expect(parseRange(header, 10)).toEqual(expected);
  });
});
