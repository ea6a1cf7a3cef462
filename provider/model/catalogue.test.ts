import { expectedTensors } from './architectures';
import { BASE_MODELS, baseModelByArkRef, resolveBaseModel } from './catalogue';
import { elementCount } from './safetensors';

describe('base model catalogue', () => {
  it.each([
    ['Qwen2.5-7B', 'Qwen2.5-7B'],
    ['qwen2.5-7b', 'Qwen2.5-7B'],
    ['Qwen/Qwen2.5-7B', 'Qwen2.5-7B'],
    ['  qwen/qwen3-8b ', 'Qwen3-8B'],
    ['meta-llama/Meta-Llama-3-8B', 'Meta-Llama-3-8B'],
    ['Qwen2.5-0.5B', 'Qwen2.5-0.5B'],
    ['Qwen/Qwen2.5-3B', 'Qwen2.5-3B'],
  ])('resolves %s to %s', (name, id) => {
    expect(resolveBaseModel(name)?.id).toBe(id);
  });

  it.each(['Qwen2.5-14B', 'Qwen/Qwen2.5-7B-Instruct', 'llama', ''])('does not resolve %j', (name) => {
    expect(resolveBaseModel(name)).toBeUndefined();
  });

  it('finds entries by their Ark FoundationModel reference', () => {
    for (const b of BASE_MODELS) expect(baseModelByArkRef(b.ark)).toBe(b);
    expect(baseModelByArkRef({ Name: 'qwen3-8b', ModelVersion: '250429' })).toBeUndefined();
  });

  // ark-api-2026.md F17: open-source bases carry YYYYMMDD versions; only Qwen3-8B's is seen in a source.
  it('names each base as the public record does, with its confidence and source', () => {
    expect(Object.fromEntries(BASE_MODELS.map((b) => [b.id, [b.ark.Name, b.ark.ModelVersion, b.arkConfidence.label]]))).toEqual({
      'Qwen2.5-0.5B': ['qwen2-5-0-5b', '20240919', 'I'],
      'Qwen2.5-3B': ['qwen2-5-3b', '20240919', 'I'],
      'Qwen2.5-7B': ['qwen2-5-7b', '20240919', 'I'],
      'Qwen3-8B': ['qwen3-8b', '20250429', 'C-cli+3P'],
      'Meta-Llama-3-8B': ['llama3-8b', '20240418', 'I, unverified'],
    });
    for (const b of BASE_MODELS) expect(b.arkConfidence.source).toMatch(/^F17: /);
  });

  // The tensor tables are derived from config dims; published parameter counts and tensor counts pin them down.
  it.each(BASE_MODELS.map((b) => [b.id, b] as const))('%s: tensor tables reproduce the published parameter count', (_id, b) => {
    const tensors = [...expectedTensors(b.family, b.dims).values()].filter((t) => !t.optional);
    expect(tensors.reduce((a, t) => a + elementCount(t.shape), 0)).toBe(b.parameterCount);
  });

  it('tensor counts match the published index entry counts', () => {
    const counts = Object.fromEntries(BASE_MODELS.map((b) => [b.id, [...expectedTensors(b.family, b.dims).values()].filter((t) => !t.optional).length]));
    expect(counts).toEqual({ 'Qwen2.5-0.5B': 290, 'Qwen2.5-3B': 434, 'Qwen2.5-7B': 339, 'Qwen3-8B': 399, 'Meta-Llama-3-8B': 291 });
  });
});
