import { compileGlobs } from './glob';

const matches = (pattern: string, rel: string) => compileGlobs([pattern]).matchesFile(rel);

describe('compileGlobs', () => {
  it.each([
    ['*.md', 'README.md', true],
    ['*.md', 'docs/x.md', true],
    ['*.md', 'README.mdx', false],
    ['?.bin', 'a.bin', true],
    ['?.bin', 'ab.bin', false],
    ['sub/*', 'sub/keep.txt', true],
    ['sub/*', 'sub/deeper/keep.txt', false],
    ['checkpoints/**', 'checkpoints/a/b/c.bin', true],
    ['**/*.md', 'x.md', true],
    ['**/*.md', 'a/b/x.md', true],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/xb', false],
    ['x/a**b', 'x/a/y/b', true],
    ['a**b', 'x/a/y/b', false],
    ['./config.json', 'config.json', true],
    ['model-*-of-*.safetensors', 'model-00001-of-00004.safetensors', true],
    ['model-*-of-*.safetensors', 'model-00001.safetensors', false],
    ['a.b', 'axb', false],
    ['[x]', '[x]', true],
    ['é?', 'é😀', true],
  ])('%s against %s is %s', (pattern, rel, expected) => {
    expect(matches(pattern, rel)).toBe(expected);
  });

  it('covers a directory only for dir/** patterns', () => {
    const globs = compileGlobs(['checkpoints/**', '*.md']);
    expect(globs.coversDir('checkpoints')).toBe(true);
    expect(globs.coversDir('docs')).toBe(false);
  });

  // The bound issue 12 asks for. A backtracking matcher needs minutes here, a linear one about a millisecond;
  // the best of five attempts is kept, since a loaded CI machine only ever slows an attempt down (one took 76 ms
  // while every core was busy).
  it('matches 30 wildcards against a 100-character name in under 50 ms', () => {
    const pattern = `${'a*'.repeat(30)}b`;
    const name = 'a'.repeat(100);
    const globs = compileGlobs([pattern, `**/${pattern}`, pattern.replace(/\*/g, '**')]);
    const attempts = Array.from({ length: 5 }, () => {
      const started = performance.now();
      expect(globs.matchesFile(name)).toBe(false);
      expect(globs.matchesFile(`${name}b`)).toBe(true);
      return performance.now() - started;
    });
    expect(Math.min(...attempts)).toBeLessThan(50);
  });
});
