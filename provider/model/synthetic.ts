import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { expectedTensors } from './architectures';
import { BaseModelEntry, resolveBaseModel, supportedBaseList } from './catalogue';
import { encodeSafetensorsHeader, tensorBytes, TensorSpec } from './safetensors';

// Writes a real Hugging Face layout for a catalogue base: the JSON files and safetensors headers are what the real
// model has; only tensor data is fake (sparse zeros or seeded pseudo-random bytes), so a "16 GB" model costs no disk
// in sparse mode. Used by unit tests, the demo and the bench.

export type SyntheticVariant = 'full' | 'w8a8' | 'w8a8-fp8' | 'w4a8' | 'lora-adapter' | 'gptq' | 'awq' | 'bin-weights';

export interface SyntheticModelOptions {
  /** Catalogue id or HF id. */
  base: string;
  variant?: SyntheticVariant;
  /** Number of safetensors shards (default 1 = `model.safetensors`, no index). */
  shards?: number;
  fill?: 'sparse' | 'random';
  /** Seeds the pseudo-random fill so two runs with the same seed write identical bytes. */
  seed?: number;
}

function resolveOrThrow(base: string): BaseModelEntry {
  const entry = resolveBaseModel(base);
  if (!entry) throw new Error(`synthetic model base: expected one of ${supportedBaseList()}, found "${base}"`);
  return entry;
}

const GROUP_SIZE = 128;

function compressedTensorsConfig(weights: Record<string, unknown>, inputs: Record<string, unknown>, format: string): Record<string, unknown> {
  const args = { symmetric: true, group_size: null, actorder: null, block_structure: null, observer_kwargs: {} };
  return {
    quant_method: 'compressed-tensors',
    format,
    quantization_status: 'compressed',
    config_groups: {
      group_0: {
        targets: ['Linear'],
        weights: { ...args, dynamic: false, observer: 'minmax', ...weights },
        input_activations: { ...args, dynamic: true, observer: null, ...inputs },
        output_activations: null,
      },
    },
    ignore: ['lm_head'],
    kv_cache_scheme: null,
    global_compression_ratio: null,
  };
}

function quantizationConfig(variant: SyntheticVariant): Record<string, unknown> | undefined {
  switch (variant) {
    case 'w8a8':
      return compressedTensorsConfig({ num_bits: 8, type: 'int', strategy: 'channel' }, { num_bits: 8, type: 'int', strategy: 'token' }, 'int-quantized');
    case 'w4a8':
      return compressedTensorsConfig({ num_bits: 4, type: 'int', strategy: 'group', group_size: GROUP_SIZE }, { num_bits: 8, type: 'int', strategy: 'token' }, 'int-quantized');
    case 'w8a8-fp8':
      return compressedTensorsConfig({ num_bits: 8, type: 'float', strategy: 'channel' }, { num_bits: 8, type: 'float', strategy: 'token' }, 'float-quantized');
    case 'gptq':
      return { quant_method: 'gptq', bits: 4, group_size: GROUP_SIZE, desc_act: false, sym: true, damp_percent: 0.01, true_sequential: true, checkpoint_format: 'gptq' };
    case 'awq':
      return { quant_method: 'awq', bits: 4, group_size: GROUP_SIZE, modules_to_not_convert: null, version: 'gemm', zero_point: true };
    default:
      return undefined;
  }
}

/** config.json as the base (or its quantized export) writes it. */
export function syntheticConfig(entry: BaseModelEntry, variant: SyntheticVariant = 'full'): Record<string, unknown> {
  const d = entry.dims;
  const llama = entry.tokenizer === 'llama3-tiktoken';
  const config: Record<string, unknown> = {
    architectures: [entry.architecture],
    model_type: entry.modelType,
    hidden_size: d.hiddenSize,
    intermediate_size: d.intermediateSize,
    num_hidden_layers: d.numHiddenLayers,
    num_attention_heads: d.numAttentionHeads,
    num_key_value_heads: d.numKeyValueHeads,
    ...(entry.family === 'qwen3' ? { head_dim: d.headDim } : {}),
    vocab_size: d.vocabSize,
    max_position_embeddings: entry.hints.maxPositionEmbeddings,
    rope_theta: entry.hints.ropeTheta,
    rope_scaling: null,
    rms_norm_eps: llama ? 1e-5 : 1e-6,
    hidden_act: 'silu',
    initializer_range: 0.02,
    tie_word_embeddings: d.tieWordEmbeddings,
    torch_dtype: variant === 'gptq' || variant === 'awq' ? 'float16' : 'bfloat16',
    bos_token_id: llama ? 128000 : 151643,
    eos_token_id: entry.hints.eosTokenId,
    use_cache: true,
    transformers_version: '4.51.0',
  };
  const qc = quantizationConfig(variant);
  if (qc) config.quantization_config = qc;
  return config;
}

function linearReplacement(variant: SyntheticVariant, name: string, shape: number[]): TensorSpec[] {
  const [out, inp] = shape;
  const base = name.slice(0, -'.weight'.length);
  const groups = Math.ceil(inp / GROUP_SIZE);
  switch (variant) {
    case 'w8a8':
      return [{ name, dtype: 'I8', shape }, { name: `${base}.weight_scale`, dtype: 'BF16', shape: [out, 1] }];
    case 'w8a8-fp8':
      return [{ name, dtype: 'F8_E4M3', shape }, { name: `${base}.weight_scale`, dtype: 'BF16', shape: [out, 1] }];
    case 'w4a8':
      // compressed-tensors stores int4 unpacked in int8 for int-quantized (hf-models.md 5.3).
      return [{ name, dtype: 'I8', shape }, { name: `${base}.weight_scale`, dtype: 'BF16', shape: [out, groups] }];
    case 'gptq':
      return [
        { name: `${base}.qweight`, dtype: 'I32', shape: [inp / 8, out] },
        { name: `${base}.qzeros`, dtype: 'I32', shape: [groups, out / 8] },
        { name: `${base}.scales`, dtype: 'F16', shape: [groups, out] },
        { name: `${base}.g_idx`, dtype: 'I32', shape: [inp] },
      ];
    case 'awq':
      return [
        { name: `${base}.qweight`, dtype: 'I32', shape: [inp, out / 8] },
        { name: `${base}.qzeros`, dtype: 'I32', shape: [groups, out / 8] },
        { name: `${base}.scales`, dtype: 'F16', shape: [groups, out] },
      ];
    default:
      return [{ name, dtype: 'BF16', shape }];
  }
}

/** The tensors of the base in checkpoint order, transformed the way the variant's writer stores them. */
export function syntheticTensors(entry: BaseModelEntry, variant: SyntheticVariant = 'full'): TensorSpec[] {
  const out: TensorSpec[] = [];
  for (const [name, t] of expectedTensors(entry.family, entry.dims)) {
    if (t.optional) continue;
    if (t.linear) out.push(...linearReplacement(variant, name, t.shape));
    else out.push({ name, dtype: variant === 'gptq' || variant === 'awq' ? 'F16' : 'BF16', shape: t.shape });
  }
  return out;
}

function loraTensors(entry: BaseModelEntry, rank: number): TensorSpec[] {
  const d = entry.dims;
  const out: TensorSpec[] = [];
  for (let layer = 0; layer < d.numHiddenLayers; layer++) {
    for (const [proj, outDim] of [['q_proj', d.numAttentionHeads * d.headDim], ['v_proj', d.numKeyValueHeads * d.headDim]] as const) {
      const prefix = `base_model.model.model.layers.${layer}.self_attn.${proj}`;
      out.push({ name: `${prefix}.lora_A.weight`, dtype: 'BF16', shape: [rank, d.hiddenSize] });
      out.push({ name: `${prefix}.lora_B.weight`, dtype: 'BF16', shape: [outDim, rank] });
    }
  }
  return out;
}

/** xorshift32: fast, seedable, good enough to defeat compression and deduplication. */
function fillRandom(buf: Buffer, state: { s: number }): void {
  const words = new Uint32Array(buf.buffer, buf.byteOffset, Math.floor(buf.length / 4));
  let s = state.s;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words[i] = s >>> 0;
  }
  for (let i = words.length * 4; i < buf.length; i++) buf[i] = i & 0xff;
  state.s = s;
}

const CHUNK = 4 * 1024 * 1024;

/** Writes a safetensors file for `tensors`; data is a hole (sparse) or pseudo-random bytes. */
export async function writeSafetensorsFile(file: string, tensors: readonly TensorSpec[], fill: 'sparse' | 'random' = 'sparse', seed = 1): Promise<number> {
  const { prefix, dataBytes } = encodeSafetensorsHeader(tensors);
  const total = prefix.length + dataBytes;
  const handle = await fs.open(file, 'w');
  try {
    await handle.write(prefix, 0, prefix.length, 0);
    if (fill === 'sparse') {
      await handle.truncate(total);
    } else {
      const state = { s: (seed >>> 0) || 0x9e3779b9 };
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(dataBytes, 1)));
      for (let pos = prefix.length; pos < total; pos += chunk.length) {
        fillRandom(chunk, state);
        await handle.write(chunk, 0, Math.min(chunk.length, total - pos), pos);
      }
    }
  } finally {
    await handle.close();
  }
  return dataBytes;
}

/** Splits tensors, in order, into `count` groups of roughly equal bytes (like save_pretrained's max_shard_size). */
function splitIntoShards(tensors: readonly TensorSpec[], count: number): TensorSpec[][] {
  const n = Math.max(1, Math.min(count, tensors.length));
  const total = tensors.reduce((a, t) => a + tensorBytes(t), 0);
  const shards: TensorSpec[][] = [[]];
  let filled = 0;
  for (const [i, t] of tensors.entries()) {
    const remainingTensors = tensors.length - i;
    const needNew = shards.length < n && shards[shards.length - 1].length > 0 && (filled >= (total * shards.length) / n || remainingTensors <= n - shards.length);
    if (needNew) shards.push([]);
    shards[shards.length - 1].push(t);
    filled += tensorBytes(t);
  }
  return shards;
}

function shardName(i: number, n: number, stem = 'model'): string {
  const pad = (v: number) => String(v).padStart(5, '0');
  return n === 1 ? `${stem}.safetensors` : `${stem}-${pad(i + 1)}-of-${pad(n)}.safetensors`;
}

async function writeJson(dir: string, name: string, value: unknown): Promise<void> {
  await fs.writeFile(path.join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
}

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const LLAMA3_CHAT = "{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

/** Tokenizer files with the real special tokens of the family and a tiny stand-in vocabulary. */
async function writeTokenizer(dir: string, entry: BaseModelEntry): Promise<void> {
  const qwen = entry.tokenizer === 'qwen-bpe';
  const specials: [number, string][] = qwen
    ? [[151643, '<|endoftext|>'], [151644, '<|im_start|>'], [151645, '<|im_end|>']]
    : [[128000, '<|begin_of_text|>'], [128001, '<|end_of_text|>'], [128006, '<|start_header_id|>'], [128007, '<|end_header_id|>'], [128009, '<|eot_id|>']];
  const vocab: Record<string, number> = {};
  'abcdefghijklmnopqrstuvwxyz'.split('').forEach((c, i) => (vocab[c] = i));
  const addedTokens = specials.map(([id, content]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  await writeJson(dir, 'tokenizer.json', { version: '1.0', truncation: null, padding: null, added_tokens: addedTokens, model: { type: 'BPE', vocab, merges: [] } });
  const decoder = Object.fromEntries(specials.map(([id, content]) => [String(id), { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }]));
  if (qwen) {
    await writeJson(dir, 'vocab.json', vocab);
    await fs.writeFile(path.join(dir, 'merges.txt'), '#version: 0.2\n');
    await writeJson(dir, 'tokenizer_config.json', {
      added_tokens_decoder: decoder,
      bos_token: null,
      eos_token: entry.hints.eosTokenId === 151645 ? '<|im_end|>' : '<|endoftext|>',
      pad_token: '<|endoftext|>',
      chat_template: CHATML,
      model_max_length: 131072,
      tokenizer_class: 'Qwen2Tokenizer',
    });
  } else {
    await writeJson(dir, 'tokenizer_config.json', {
      added_tokens_decoder: decoder,
      bos_token: '<|begin_of_text|>',
      eos_token: '<|end_of_text|>',
      chat_template: LLAMA3_CHAT,
      model_max_length: 8192,
      tokenizer_class: 'PreTrainedTokenizerFast',
    });
    await writeJson(dir, 'special_tokens_map.json', { bos_token: '<|begin_of_text|>', eos_token: '<|end_of_text|>' });
  }
}

export async function writeSyntheticModel(dir: string, opts: SyntheticModelOptions): Promise<void> {
  const entry = resolveOrThrow(opts.base);
  const variant = opts.variant ?? 'full';
  const fill = opts.fill ?? 'sparse';
  const seed = opts.seed ?? 1;
  await fs.mkdir(dir, { recursive: true });
  await writeTokenizer(dir, entry);

  if (variant === 'lora-adapter') {
    // What PEFT's save_pretrained writes for a LoRA: no config.json, only the adapter.
    const rank = 8;
    await writeJson(dir, 'adapter_config.json', {
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      base_model_name_or_path: entry.hfIds[0],
      r: rank,
      lora_alpha: 16,
      lora_dropout: 0.05,
      bias: 'none',
      target_modules: ['q_proj', 'v_proj'],
      inference_mode: true,
    });
    await writeSafetensorsFile(path.join(dir, 'adapter_model.safetensors'), loraTensors(entry, rank), fill, seed);
    return;
  }

  await writeJson(dir, 'config.json', syntheticConfig(entry, variant));
  const llama = entry.tokenizer === 'llama3-tiktoken';
  await writeJson(dir, 'generation_config.json', { bos_token_id: llama ? 128000 : 151643, eos_token_id: entry.hints.eosTokenId, transformers_version: '4.51.0' });
  const tensors = syntheticTensors(entry, variant);

  if (variant === 'bin-weights') {
    // Not a real pickle: the validator never opens .bin files, it only sees their names and sizes.
    const bytes = tensors.reduce((a, t) => a + tensorBytes(t), 0);
    const handle = await fs.open(path.join(dir, 'pytorch_model.bin'), 'w');
    try {
      await handle.truncate(bytes);
    } finally {
      await handle.close();
    }
    return;
  }

  const shards = splitIntoShards(tensors, opts.shards ?? 1);
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (const [i, shard] of shards.entries()) {
    const name = shardName(i, shards.length);
    totalSize += await writeSafetensorsFile(path.join(dir, name), shard, fill, seed + i);
    for (const t of shard) weightMap[t.name] = name;
  }
  if (shards.length > 1) {
    const sorted = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : 1)));
    await writeJson(dir, 'model.safetensors.index.json', { metadata: { total_size: totalSize }, weight_map: sorted });
  }
}
