import { decodeContinuationToken, encodeContinuationToken, listPage, type ListPage } from './listing';

const keys = ['a/1', 'a/2', 'a/b/1', 'a/b/2', 'a/c/1', 'a/d', 'b', 'c/x'].map((key) => ({ key, item: key }));

function flat(page: ListPage<string>): string[] {
  return page.entries.map((e) => (e.kind === 'item' ? e.key : `${e.prefix}*`));
}

/** Follows nextMarker until the listing ends, returning every page. */
function allPages(req: { prefix: string; delimiter?: string; maxKeys: number }): string[][] {
  const pages: string[][] = [];
  let marker: string | undefined;
  for (;;) {
    const page = listPage(keys, { ...req, marker });
    pages.push(flat(page));
    if (!page.isTruncated) return pages;
    marker = page.nextMarker;
  }
}

describe('listPage', () => {
  it.each([
    [{ prefix: '', maxKeys: 100 }, [['a/1', 'a/2', 'a/b/1', 'a/b/2', 'a/c/1', 'a/d', 'b', 'c/x']]],
    [{ prefix: 'a/', maxKeys: 100 }, [['a/1', 'a/2', 'a/b/1', 'a/b/2', 'a/c/1', 'a/d']]],
    [{ prefix: 'a/', delimiter: '/', maxKeys: 100 }, [['a/1', 'a/2', 'a/b/*', 'a/c/*', 'a/d']]],
    [{ prefix: '', delimiter: '/', maxKeys: 100 }, [['a/*', 'b', 'c/*']]],
    [{ prefix: 'a/', delimiter: '/', maxKeys: 2 }, [['a/1', 'a/2'], ['a/b/*', 'a/c/*'], ['a/d']]],
    [{ prefix: 'a/', delimiter: '/', maxKeys: 3 }, [['a/1', 'a/2', 'a/b/*'], ['a/c/*', 'a/d']]],
    [{ prefix: 'a/', maxKeys: 4 }, [['a/1', 'a/2', 'a/b/1', 'a/b/2'], ['a/c/1', 'a/d']]],
    [{ prefix: 'zz', maxKeys: 10 }, [[]]],
    [{ prefix: 'a/', maxKeys: 0 }, [[]]],
  ])('%j pages as %j', (req, expected) => {
    expect(allPages(req)).toEqual(expected);
  });

  it('resumes strictly after a key marker that is not itself in the bucket', () => {
    expect(flat(listPage(keys, { prefix: '', maxKeys: 3, marker: 'a/b' }))).toEqual(['a/b/1', 'a/b/2', 'a/c/1']);
  });

  it('does not treat the prefix itself as a rolled-up group when it is the marker', () => {
    const withDir = [{ key: 'd/', item: 'd/' }, { key: 'd/x', item: 'd/x' }];
    expect(flat(listPage(withDir, { prefix: 'd/', delimiter: '/', maxKeys: 1 }))).toEqual(['d/']);
    expect(flat(listPage(withDir, { prefix: 'd/', delimiter: '/', maxKeys: 1, marker: 'd/' }))).toEqual(['d/x']);
  });

  it('round-trips continuation tokens and refuses foreign ones', () => {
    expect(decodeContinuationToken(encodeContinuationToken('a/b/ é'))).toBe('a/b/ é');
    expect(decodeContinuationToken('not a token!')).toBeUndefined();
  });
});
