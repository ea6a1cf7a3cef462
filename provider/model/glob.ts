// Minimal glob matching for exclude patterns. A pattern without '/' matches the base name at any depth
// (like .gitignore: `*.md` excludes README.md and docs/x.md); a pattern with '/' matches the whole relative path.
// `*` and `?` never cross '/', `**` does; `dir/**` matches everything under dir.

function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // `**/` may also match zero directories.
        if (pattern[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else {
          out += '.*';
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else {
      out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`);
}

export interface GlobSet {
  /** True when the file at relPath is excluded. */
  matchesFile(relPath: string): boolean;
  /** True when every path under the directory relPath is excluded (a `dir/**` pattern), so the walk can skip it. */
  coversDir(relPath: string): boolean;
}

export function compileGlobs(patterns: readonly string[]): GlobSet {
  const compiled = patterns.map((p) => {
    const trimmed = p.replace(/^\.?\//, '');
    return { trimmed, re: globToRegExp(trimmed), anchored: trimmed.includes('/') };
  });
  return {
    matchesFile: (rel) => compiled.some(({ re, anchored }) => re.test(anchored ? rel : rel.slice(rel.lastIndexOf('/') + 1))),
    coversDir: (rel) => compiled.some(({ re, trimmed }) => trimmed.endsWith('/**') && re.test(`${rel}/`)),
  };
}
