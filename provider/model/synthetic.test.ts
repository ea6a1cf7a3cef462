import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveBaseModel } from './catalogue';
import { writeSafetensorsFile, writeSyntheticModel } from './synthetic';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'synth-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function headerWithLength(file: string): Promise<{ n: number; h: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }> }> {
  const fd = await fs.open(file, 'r');
  try {
    const len = Buffer.alloc(8);
    await fd.read(len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const body = Buffer.alloc(n);
    await fd.read(body, 0, n, 8);
    return { n, h: JSON.parse(body.toString('utf8')) };
  } finally {
    await fd.close();
  }
}

const header = async (file: string) => (await headerWithLength(file)).h;

describe('writeSyntheticModel', () => {
  it('writes the real Qwen2.5-0.5B layout: one 988,065,536-byte-data safetensors, config and tokenizer, sparse', async () => {
    await writeSyntheticModel(tmp, { base: 'Qwen2.5-0.5B' });
    expect((await fs.readdir(tmp)).sort()).toEqual(['config.json', 'generation_config.json', 'merges.txt', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.json']);
    const { n, h } = await headerWithLength(path.join(tmp, 'model.safetensors'));
    expect(h['model.embed_tokens.weight']).toMatchObject({ dtype: 'BF16', shape: [151936, 896] });
    expect(h['lm_head.weight']).toBeUndefined();
    const st = await fs.stat(path.join(tmp, 'model.safetensors'));
    expect(st.size).toBe(8 + n + 988_065_536);
    // sparse: far fewer blocks allocated than the apparent size
    expect(st.blocks * 512).toBeLessThan(st.size / 100);
    const config = JSON.parse(await fs.readFile(path.join(tmp, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'qwen2', hidden_size: 896, tie_word_embeddings: true, vocab_size: 151936 });
  });

  it('shards Meta-Llama-3-8B into 4 files with an index whose total_size is the published 16,060,522,496', async () => {
    await writeSyntheticModel(tmp, { base: 'meta-llama/Meta-Llama-3-8B', shards: 4 });
    const files = (await fs.readdir(tmp)).sort();
    expect(files.filter((f) => f.endsWith('.safetensors'))).toEqual([1, 2, 3, 4].map((i) => `model-0000${i}-of-00004.safetensors`));
    expect(files).toContain('special_tokens_map.json');
    expect(files).not.toContain('vocab.json');
    const index = JSON.parse(await fs.readFile(path.join(tmp, 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata.total_size).toBe(16_060_522_496);
    expect(Object.keys(index.weight_map)).toHaveLength(291);
    let fromHeaders = 0;
    for (const f of new Set(Object.values(index.weight_map) as string[])) fromHeaders += Object.keys(await header(path.join(tmp, f))).length - 1;
    expect(fromHeaders).toBe(291);
  });

  it('random fill is deterministic per seed, differs between seeds, and keeps the header valid', async () => {
    const tensors = [{ name: 'a', dtype: 'BF16', shape: [1000, 333] }, { name: 'b', dtype: 'F32', shape: [7] }];
    const write = async (seed: number) => {
      const f = path.join(tmp, `s${seed}-${Math.random()}.safetensors`);
      const dataBytes = await writeSafetensorsFile(f, tensors, 'random', seed);
      expect(dataBytes).toBe(1000 * 333 * 2 + 28);
      const { n } = await headerWithLength(f);
      const buf = await fs.readFile(f);
      expect(buf.length).toBe(8 + n + dataBytes);
      return buf.subarray(8 + n).toString('hex');
    };
    const a = await write(7);
    expect(await write(7)).toBe(a);
    expect(await write(8)).not.toBe(a);
    expect(a).not.toMatch(/^0+$/);
  });

  it.each([
    ['w8a8', 'I8', 'int-quantized'],
    ['w4a8', 'I8', 'int-quantized'],
    ['w8a8-fp8', 'F8_E4M3', 'float-quantized'],
  ] as const)('%s: quantized linear weights are %s with scales and a compressed-tensors %s config', async (variant, dtype, format) => {
    await writeSyntheticModel(tmp, { base: 'Qwen2.5-0.5B', variant });
    const h = await header(path.join(tmp, 'model.safetensors'));
    expect(h['model.layers.0.mlp.up_proj.weight'].dtype).toBe(dtype);
    expect(h['model.layers.0.mlp.up_proj.weight_scale']).toBeDefined();
    expect(h['model.layers.0.input_layernorm.weight'].dtype).toBe('BF16');
    const config = JSON.parse(await fs.readFile(path.join(tmp, 'config.json'), 'utf8'));
    expect(config.quantization_config).toMatchObject({ quant_method: 'compressed-tensors', format });
  });

  it('lora-adapter writes a PEFT adapter directory without config.json', async () => {
    await writeSyntheticModel(tmp, { base: 'Qwen3-8B', variant: 'lora-adapter' });
    const files = await fs.readdir(tmp);
    expect(files).toEqual(expect.arrayContaining(['adapter_config.json', 'adapter_model.safetensors']));
    expect(files).not.toContain('config.json');
    const h = await header(path.join(tmp, 'adapter_model.safetensors'));
    expect(h['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'].shape).toEqual([8, 4096]);
  });

  it('bin-weights writes pytorch_model.bin of the bf16 size', async () => {
    await writeSyntheticModel(tmp, { base: 'Qwen2.5-0.5B', variant: 'bin-weights' });
    expect((await fs.stat(path.join(tmp, 'pytorch_model.bin'))).size).toBe(2 * resolveBaseModel('Qwen2.5-0.5B')!.parameterCount);
  });

  it('rejects an unknown base, naming the supported ones', async () => {
    await expect(writeSyntheticModel(tmp, { base: 'Mistral-7B' })).rejects.toThrow(/Qwen2\.5-0\.5B.*Mistral-7B/);
  });
});
