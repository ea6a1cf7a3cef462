import { BlobRefs } from './blob-refs';
import { ZERO_BLOB } from './blobs';

describe('BlobRefs', () => {
  it('frees a blob only when its last reference goes, counting each segment', () => {
    const refs = new BlobRefs();
    refs.retain([{ blob: 'a', size: 1 }, { blob: 'a', size: 1, offset: 1 }, { blob: 'b', size: 1 }]);
    refs.retain([{ blob: 'b', size: 1 }]);
    expect(refs.release([{ blob: 'a', size: 1 }])).toEqual([]);
    expect(refs.release([{ blob: 'a', size: 1 }, { blob: 'b', size: 1 }])).toEqual(['a']);
    expect(refs.isReferenced('b')).toBe(true);
    expect([...refs.live()]).toEqual(['b']);
    expect(refs.release([{ blob: 'b', size: 1 }])).toEqual(['b']);
    expect(refs.live().size).toBe(0);
  });

  it('never counts or frees ZERO_BLOB, which is not stored', () => {
    const refs = new BlobRefs();
    refs.retain([{ blob: ZERO_BLOB, size: 10 }]);
    expect(refs.isReferenced(ZERO_BLOB)).toBe(false);
    expect(refs.release([{ blob: ZERO_BLOB, size: 10 }])).toEqual([]);
  });
});
