import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSyntheticModel } from '../model/synthetic';
import { EXIT_INVALID, EXIT_USAGE, EXIT_VALID, main } from './main';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

describe('pulumi-ark validate', () => {
  it('prints a human summary and exits 0 for a valid model', async () => {
    await writeSyntheticModel(tmp, { base: 'Qwen2.5-0.5B' });
    const r = await cli('validate', tmp, '--base', 'Qwen/Qwen2.5-0.5B');
    expect(r.code).toBe(EXIT_VALID);
    expect(r.stdout).toContain(`OK ${tmp}: valid for Ark (0 errors, 0 warnings)`);
    expect(r.stdout).toContain('base Qwen2.5-0.5B, quantization none, dtype bfloat16, 494,032,768 parameters');
  });

  it('prints the JSON report and exits 1 for a wrong base', async () => {
    await writeSyntheticModel(tmp, { base: 'Qwen2.5-0.5B', variant: 'w8a8' });
    const r = await cli('validate', tmp, '--base=Qwen3-8B', '--json');
    expect(r.code).toBe(EXIT_INVALID);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.detected).toMatchObject({ baseModel: 'Qwen2.5-0.5B', quantization: 'W8A8' });
    expect(report.errors.map((e: { code: string }) => e.code)).toEqual(['BaseModelMismatch']);
  });

  it('lists errors and warnings in human output', async () => {
    await writeSyntheticModel(tmp, { base: 'Qwen2.5-0.5B', variant: 'lora-adapter' });
    const r = await cli('validate', tmp);
    expect(r.code).toBe(EXIT_INVALID);
    expect(r.stdout).toMatch(/^INVALID .*: not importable by Ark \(1 error, 0 warnings\)/);
    expect(r.stdout).toMatch(/error {3}\[LoraAdapter\] .*merge_and_unload/);
  });

  it('honours --exclude like the upload would', async () => {
    await writeSyntheticModel(tmp, { base: 'Qwen2.5-0.5B' });
    await fs.mkdir(path.join(tmp, 'checkpoint-100'));
    await fs.copyFile(path.join(tmp, 'config.json'), path.join(tmp, 'checkpoint-100', 'config.json'));
    expect((await cli('validate', tmp)).code).toBe(EXIT_INVALID);
    expect((await cli('validate', tmp, '--exclude', 'checkpoint-*/**')).code).toBe(EXIT_VALID);
  });

  it('reports a symlink leaving the directory as invalid', async () => {
    await writeSyntheticModel(tmp, { base: 'Qwen2.5-0.5B' });
    await fs.symlink('/etc/hostname', path.join(tmp, 'leak.txt'));
    const r = await cli('validate', tmp, '--json');
    expect(r.code).toBe(EXIT_INVALID);
    expect(JSON.parse(r.stdout).errors[0]).toMatchObject({ code: 'SymlinkEscape' });
  });

  it.each([
    [[], /Usage: pulumi-ark validate/],
    [['deploy'], /expected the command "validate" or "doctor", found "deploy"/],
    [['validate'], /expected exactly one DIR, found none/],
    [['validate', 'a', 'b'], /expected exactly one DIR, found a b/],
    [['validate', 'a', '--base'], /--base: expected a value/],
    [['validate', 'a', '--frobnicate'], /unknown option --frobnicate/],
    [['validate', '/nonexistent/model-dir'], /expected an existing directory/],
  ])('usage error %j exits 2', async (argv, pattern) => {
    const r = await cli(...argv);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(pattern);
    expect(r.stdout).toBe('');
  });

  it('--help prints usage and exits 0', async () => {
    const r = await cli('validate', '--help');
    expect(r.code).toBe(EXIT_VALID);
    expect(r.stdout).toMatch(/Exit codes: 0 valid, 1 invalid, 2 usage error/);
  });
});
