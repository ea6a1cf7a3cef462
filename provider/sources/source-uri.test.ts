import { parseModelSource } from './source-uri';
import { selectModelFiles } from './select';

describe('parseModelSource', () => {
  it('takes anything without a scheme as a local path', () => {
    expect(parseModelSource('./qwen-sft')).toEqual({ kind: 'local', path: './qwen-sft' });
    expect(parseModelSource('/data/tos:/x')).toEqual({ kind: 'local', path: '/data/tos:/x' });
  });

  it('parses tos://bucket/prefix/ with the sync prefix rules', () => {
    expect(parseModelSource('tos://ml-artifacts/runs/42/final/')).toEqual({ kind: 'tos', bucket: 'ml-artifacts', prefix: 'runs/42/final/' });
    expect(parseModelSource('tos://ml-artifacts/runs/42/final')).toEqual({ kind: 'tos', bucket: 'ml-artifacts', prefix: 'runs/42/final/' });
  });

  it('parses hf://owner/name[@revision], main by default', () => {
    expect(parseModelSource('hf://my-org/qwen3-sft')).toEqual({ kind: 'hub', repo: 'my-org/qwen3-sft', revision: 'main' });
    expect(parseModelSource('hf://my-org/qwen3-sft@v2')).toEqual({ kind: 'hub', repo: 'my-org/qwen3-sft', revision: 'v2' });
    expect(parseModelSource('hf://qwen3-sft')).toEqual({ error: expect.stringMatching(/^expected hf:\/\/owner\/name or hf:\/\/owner\/name@revision/) });
  });

  it('refuses a bad bucket, the bucket root and dot segments, naming the expected form', () => {
    expect(parseModelSource('tos://Bad_Bucket/x/')).toEqual({ error: expect.stringMatching(/^expected tos:\/\/<bucket>\/<prefix>\/ with a TOS bucket name .* found "tos:\/\/Bad_Bucket\/x\/"/) });
    expect(parseModelSource('tos://models/')).toEqual({ error: expect.stringMatching(/naming a folder of the bucket, found "tos:\/\/models\/" \(prefix "": expected a non-empty key prefix/) });
    expect(parseModelSource('tos://models/a/../b/')).toEqual({ error: expect.stringContaining('without empty, "." or ".." segments') });
  });
});

describe('selectModelFiles', () => {
  it('leaves out hidden files and folders and excluded globs, as a local walk does', () => {
    const files = ['config.json', '.gitattributes', '.cache/huggingface/x.lock', 'README.md', 'ckpt/optimizer.pt', 'model.safetensors'].map((path) => ({ path }));
    expect(selectModelFiles(files, ['*.md', 'ckpt/**']).map((f) => f.path)).toEqual(['config.json', 'model.safetensors']);
  });
});
