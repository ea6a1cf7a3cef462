import { formatBytes, formatDuration, formatProgress, ProgressReporter } from './progress';

describe('progress formatting', () => {
  test.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [16 * 1024 ** 3, '16.0 GiB'],
  ])('formatBytes(%d)', (n, s) => expect(formatBytes(n)).toBe(s));

  test.each([
    [0, '0s'],
    [59_400, '59s'],
    [72_000, '1m12s'],
    [3_725_000, '1h02m'],
  ])('formatDuration(%d)', (ms, s) => expect(formatDuration(ms)).toBe(s));

  test('formatProgress', () => {
    expect(formatProgress({ doneFiles: 3, totalFiles: 10, doneBytes: 1024 ** 3, totalBytes: 4 * 1024 ** 3, elapsedMs: 10_000 })).toBe(
      '3/10 files, 1.0 GiB/4.0 GiB (25%), 102.4 MiB/s, ETA 30s',
    );
    expect(formatProgress({ doneFiles: 0, totalFiles: 1, doneBytes: 0, totalBytes: 5, elapsedMs: 0 })).toContain('ETA unknown');
  });
});

describe('ProgressReporter cadence', () => {
  test('bytes emit at most once per interval; big files emit when done; small ones do not flood', () => {
    let now = 0;
    const lines: string[] = [];
    const p = new ProgressReporter('upload', 3, 1000, (l) => lines.push(l), 3000, () => now);
    p.addBytes(100);
    now = 1000;
    p.addBytes(100);
    expect(lines).toHaveLength(0);
    now = 3500;
    p.addBytes(100);
    expect(lines).toHaveLength(1);
    p.fileDone('tiny', 1);
    expect(lines).toHaveLength(1);
    p.fileDone('big', 600);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^upload: 2\/3 files, .*\(big done\)$/);
  });
});
