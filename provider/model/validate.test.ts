import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BASE_MODELS, resolveBaseModel } from './catalogue';
import type { ModelReport } from './report';
import { localModelSource, ModelFileSource } from './source';
import { SyntheticModelOptions, syntheticConfig, syntheticTensors, SyntheticVariant, writeSafetensorsFile, writeSyntheticModel } from './synthetic';
import { validateModel } from './validate';
import { walkModelDir } from './walk';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'validate-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const p = (rel: string) => path.join(tmp, rel);
const readJson = async (rel: string) => JSON.parse(await fs.readFile(p(rel), 'utf8'));
const writeJson = (rel: string, v: unknown) => fs.writeFile(p(rel), JSON.stringify(v));
async function editJson(rel: string, edit: (v: Record<string, any>) => void): Promise<void> {
  const v = await readJson(rel);
  edit(v);
  await writeJson(rel, v);
}

/** Writes a safetensors file from a raw header object (offsets as given) plus `dataBytes` of zeros. */
async function writeRawSafetensors(rel: string, header: Record<string, unknown>, dataBytes: number): Promise<void> {
  const body = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(body.length));
  await fs.writeFile(p(rel), Buffer.concat([len, body, Buffer.alloc(dataBytes)]));
}

async function run(baseModel?: string): Promise<ModelReport> {
  return validateModel(localModelSource(tmp, await walkModelDir(tmp)), { baseModel });
}

const SMALL: SyntheticModelOptions = { base: 'Qwen2.5-0.5B' };

describe('validateModel accepts every base and accepted quantization', () => {
  const cases: [string, SyntheticVariant, string | null][] = [];
  for (const b of BASE_MODELS) {
    cases.push([b.id, 'full', null], [b.id, 'w8a8', 'W8A8'], [b.id, 'w8a8-fp8', 'W8A8_FP8'], [b.id, 'w4a8', 'W4A8']);
  }
  it.each(cases)('%s %s (3 shards) -> ok, quantization %s', async (base, variant, quantization) => {
    await writeSyntheticModel(tmp, { base, variant, shards: 3 });
    const hfId = resolveBaseModel(base)!.hfIds[0];
    const report = await run(hfId);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.detected).toEqual({ baseModel: base, quantization, torchDtype: 'bfloat16', parameterCount: resolveBaseModel(base)!.parameterCount });
  });

  it('identifies the base without a declared baseModel', async () => {
    await writeSyntheticModel(tmp, { base: 'Qwen3-8B' });
    expect((await run()).detected.baseModel).toBe('Qwen3-8B');
  });

  it('accepts .bin weights with a warning that shapes were not verified', async () => {
    await writeSyntheticModel(tmp, { ...SMALL, variant: 'bin-weights' });
    const report = await run('Qwen2.5-0.5B');
    expect(report.ok).toBe(true);
    expect(report.detected.baseModel).toBe('Qwen2.5-0.5B');
    expect(report.warnings).toEqual([expect.objectContaining({ code: 'UnverifiedWeights', file: 'pytorch_model.bin', message: expect.stringMatching(/shapes.*not verified/) })]);
  });

  it('accepts the fp8 quant_method form as W8A8_FP8', async () => {
    await writeSyntheticModel(tmp, { ...SMALL, variant: 'w8a8-fp8' });
    await editJson('config.json', (c) => (c.quantization_config = { quant_method: 'fp8', activation_scheme: 'dynamic', fmt: 'e4m3', weight_block_size: [128, 128] }));
    const report = await run();
    expect(report.errors).toEqual([]);
    expect(report.detected.quantization).toBe('W8A8_FP8');
  });

  it('accepts a compressed-tensors preset-keyed config_groups (W4A8: ["Linear"])', async () => {
    await writeSyntheticModel(tmp, { ...SMALL, variant: 'w4a8' });
    await editJson('config.json', (c) => (c.quantization_config.config_groups = { W4A8: ['Linear'] }));
    expect((await run()).detected.quantization).toBe('W4A8');
  });

  it('warns about a Llama-3.1 look-alike declared as Meta-Llama-3-8B', async () => {
    await writeSyntheticModel(tmp, { base: 'Meta-Llama-3-8B' });
    await editJson('config.json', (c) => {
      c.max_position_embeddings = 131072;
      c.rope_scaling = { rope_type: 'llama3', factor: 8.0 };
    });
    const report = await run('Meta-Llama-3-8B');
    expect(report.ok).toBe(true);
    expect(report.warnings.map((w) => w.code)).toEqual(['LookAlikeBase']);
  });
});

type Setup = () => Promise<void>;
const model = (opts: Partial<SyntheticModelOptions> = {}) => writeSyntheticModel(tmp, { ...SMALL, ...opts });

/** [name, setup, declared baseModel, expected error code, message pattern] */
const REJECTIONS: [string, Setup, string | undefined, string, RegExp][] = [
  ['missing config.json', async () => { await model(); await fs.rm(p('config.json')); }, undefined, 'MissingConfig', /config\.json: expected at the top.*found none/],
  ['config.json only in a subdirectory', async () => { await model(); await fs.mkdir(p('sub')); await fs.rename(p('config.json'), p('sub/config.json')); }, undefined, 'MissingConfig', /found it only at sub\/config\.json/],
  ['two config.json', async () => { await model(); await fs.mkdir(p('checkpoint-500')); await fs.copyFile(p('config.json'), p('checkpoint-500/config.json')); }, undefined, 'MultipleConfig', /exactly one config\.json, found 2/],
  ['no weights', async () => { await model(); await fs.rm(p('model.safetensors')); }, undefined, 'NoWeights', /expected weight files.*found none/],
  ['no tokenizer', async () => { await model(); await fs.rm(p('tokenizer.json')); await fs.rm(p('tokenizer_config.json')); }, undefined, 'NoTokenizer', /tokenizer file.*found none/],
  ['bad header length', async () => {
    await model();
    const fd = await fs.open(p('model.safetensors'), 'r+');
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(10n ** 12n);
    await fd.write(b, 0, 8, 0);
    await fd.close();
  }, undefined, 'SafetensorsHeaderLength', /model\.safetensors: expected a header length.*found 1000000000000/],
  ['file shorter than 8 bytes', async () => { await model(); await fs.writeFile(p('model.safetensors'), 'abc'); }, undefined, 'SafetensorsHeaderLength', /found a 3-byte file/],
  ['header is not JSON', async () => {
    await model();
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(4n);
    await fs.writeFile(p('model.safetensors'), Buffer.concat([len, Buffer.from('{bad')]));
  }, undefined, 'SafetensorsHeaderJson', /invalid JSON/],
  ['overlapping offsets', async () => {
    await model();
    await writeRawSafetensors('model.safetensors', { a: { dtype: 'BF16', shape: [4], data_offsets: [0, 8] }, b: { dtype: 'BF16', shape: [4], data_offsets: [4, 12] } }, 12);
  }, undefined, 'SafetensorsOffsets', /tensor b: expected data to start at byte 8.*found 4, which overlaps a/],
  ['non-contiguous offsets (gap)', async () => {
    await model();
    await writeRawSafetensors('model.safetensors', { a: { dtype: 'BF16', shape: [4], data_offsets: [0, 8] }, b: { dtype: 'BF16', shape: [4], data_offsets: [16, 24] } }, 24);
  }, undefined, 'SafetensorsOffsets', /tensor b: expected data to start at byte 8.*found 16, which leaves a gap after a/],
  ['tensor byte length disagrees with shape', async () => {
    await model();
    await writeRawSafetensors('model.safetensors', { a: { dtype: 'F32', shape: [4], data_offsets: [0, 8] } }, 8);
  }, undefined, 'SafetensorsTensorSize', /tensor a: expected 16 bytes for F32 \[4\], found data_offsets spanning 8 bytes/],
  ['truncated file', async () => {
    await model();
    const st = await fs.stat(p('model.safetensors'));
    await fs.truncate(p('model.safetensors'), st.size - 1);
  }, undefined, 'SafetensorsFileSize', /model\.safetensors: expected \d+ bytes .* found \d+ bytes \(truncated\)/],
  ['trailing bytes', async () => {
    await model();
    await fs.appendFile(p('model.safetensors'), 'x');
  }, undefined, 'SafetensorsFileSize', /\(trailing bytes\)/],
  ['index maps a tensor to the wrong shard', async () => {
    await model({ shards: 2 });
    await editJson('model.safetensors.index.json', (i) => (i.weight_map['model.embed_tokens.weight'] = 'model-00002-of-00002.safetensors'));
  }, undefined, 'IndexEntryMismatch', /weight_map\["model\.embed_tokens\.weight"\]: expected the tensor in model-00002-of-00002\.safetensors, found no such tensor/],
  ['index lacks a tensor a shard holds', async () => {
    await model({ shards: 2 });
    await editJson('model.safetensors.index.json', (i) => delete i.weight_map['model.norm.weight']);
  }, undefined, 'IndexMissingTensor', /expected weight_map\["model\.norm\.weight"\] = "model-00002-of-00002\.safetensors".*found null/],
  ['index names a shard that does not exist', async () => {
    await model({ shards: 2 });
    await editJson('model.safetensors.index.json', (i) => (i.weight_map['model.norm.weight'] = 'model-00003-of-00003.safetensors'));
  }, undefined, 'IndexShardMissing', /found "model-00003-of-00003\.safetensors", which does not exist/],
  ['shard not referenced by the index', async () => {
    await model({ shards: 2 });
    await writeSafetensorsFile(p('extra.safetensors'), [{ name: 'x', dtype: 'BF16', shape: [2] }]);
  }, undefined, 'IndexUnreferencedShard', /found extra\.safetensors unreferenced/],
  ['shards without an index', async () => {
    await model({ shards: 2 });
    await fs.rm(p('model.safetensors.index.json'));
  }, undefined, 'MissingIndex', /expected model\.safetensors\.index\.json next to the 2 safetensors shards/],
  ['wrong base declared', model, 'Qwen/Qwen2.5-7B', 'BaseModelMismatch', /expected files of the declared Qwen2\.5-7B \(Qwen\/Qwen2\.5-7B\), found Qwen2\.5-0\.5B: .*hidden_size 896.*shapes agree/],
  ['unknown base declared', model, 'Qwen2.5-14B', 'UnsupportedBaseModel', /baseModel: expected one of Qwen2\.5-0\.5B.*found "Qwen2\.5-14B"/],
  ['config of one base, shapes of another', async () => {
    await model();
    await writeJson('config.json', syntheticConfig(resolveBaseModel('Qwen2.5-3B')!));
  }, undefined, 'ConfigShapeMismatch', /expected the tensor shapes of Qwen2\.5-3B.*found the shapes of Qwen2\.5-0\.5B/],
  ['resized vocabulary (no base has these dims)', async () => {
    await model();
    await editJson('config.json', (c) => (c.vocab_size = 151937));
  }, undefined, 'UnsupportedBaseModel', /closest is Qwen2\.5-0\.5B: vocab_size expected 151936, found 151937/],
  ['unsupported architecture', async () => {
    await model();
    await editJson('config.json', (c) => {
      c.model_type = 'mistral';
      c.architectures = ['MistralForCausalLM'];
    });
  }, undefined, 'UnsupportedArchitecture', /expected model_type one of qwen2.*found model_type "mistral"/],
  ['classification head instead of causal LM', async () => {
    await model();
    await editJson('config.json', (c) => (c.architectures = ['Qwen2ForSequenceClassification']));
  }, undefined, 'UnsupportedArchitecture', /expected architectures \["Qwen2ForCausalLM"\].*found \["Qwen2ForSequenceClassification"\]/],
  ['a tensor missing', async () => {
    await model();
    const entry = resolveBaseModel('Qwen2.5-0.5B')!;
    await writeSafetensorsFile(p('model.safetensors'), syntheticTensors(entry).filter((t) => t.name !== 'model.layers.3.mlp.up_proj.weight'));
  }, undefined, 'MissingTensor', /expected tensor model\.layers\.3\.mlp\.up_proj\.weight \[4864,896\]/],
  ['an extra tensor', async () => {
    await model();
    const entry = resolveBaseModel('Qwen2.5-0.5B')!;
    await writeSafetensorsFile(p('model.safetensors'), [...syntheticTensors(entry), { name: 'model.value_head.weight', dtype: 'BF16', shape: [896] }]);
  }, undefined, 'UnexpectedTensor', /tensor model\.value_head\.weight: expected only Qwen2\.5-0\.5B tensors/],
  ['LoRA adapter directory', () => model({ variant: 'lora-adapter' }), 'Qwen2.5-0.5B', 'LoraAdapter', /LORA adapter \(r=8, targets=q_proj,v_proj\) for base Qwen\/Qwen2\.5-0\.5B.*merge_and_unload\(\).*save_pretrained/],
  ['LoRA factors inside full weights', async () => {
    await model();
    const entry = resolveBaseModel('Qwen2.5-0.5B')!;
    await writeSafetensorsFile(p('model.safetensors'), [...syntheticTensors(entry), { name: 'model.layers.0.self_attn.q_proj.lora_A.default.weight', dtype: 'BF16', shape: [8, 896] }]);
  }, undefined, 'UnmergedLora', /found 1 LoRA factor tensors such as model\.layers\.0\.self_attn\.q_proj\.lora_A\.default\.weight.*merge_and_unload/],
  ['adapter files next to full weights', async () => {
    await model();
    await writeJson('adapter_config.json', { peft_type: 'LORA', r: 16, target_modules: 'all-linear' });
  }, undefined, 'AdapterFilesPresent', /ambiguous whether the adapter was merged/],
  ['GPTQ', () => model({ variant: 'gptq' }), undefined, 'UnsupportedQuantization', /found GPTQ int4 weight-only \(W4A16\)/],
  ['AWQ', () => model({ variant: 'awq' }), undefined, 'UnsupportedQuantization', /found AWQ int4 weight-only \(W4A16\)/],
  ['bitsandbytes 4-bit', async () => {
    await model();
    await editJson('config.json', (c) => (c.quantization_config = { quant_method: 'bitsandbytes', load_in_4bit: true, bnb_4bit_quant_type: 'nf4' }));
  }, undefined, 'UnsupportedQuantization', /found bitsandbytes 4-bit NF4/],
  ['bitsandbytes 8-bit', async () => {
    await model();
    await editJson('config.json', (c) => (c.quantization_config = { quant_method: 'bitsandbytes', load_in_8bit: true }));
  }, undefined, 'UnsupportedQuantization', /LLM\.int8.*not a W8A8/],
  ['compressed-tensors weight-only W4A16', async () => {
    await model({ variant: 'w4a8' });
    await editJson('config.json', (c) => {
      c.quantization_config.format = 'pack-quantized';
      c.quantization_config.config_groups.group_0.input_activations = null;
    });
  }, undefined, 'UnsupportedQuantization', /compressed-tensors INT4 weight-only \(W4A16\)/],
  ['compressed-tensors W4AFP8', async () => {
    await model({ variant: 'w4a8' });
    await editJson('config.json', (c) => (c.quantization_config.config_groups.group_0.input_activations.type = 'float'));
  }, undefined, 'UnsupportedQuantization', /W4AFP8/],
  ['GPTQ declared by a side file', async () => {
    await model();
    await writeJson('quantize_config.json', { bits: 4, group_size: 128 });
  }, undefined, 'UnsupportedQuantization', /quantize_config\.json: quantization side file: .*found GPTQ/],
  ['GGUF file', async () => {
    await model();
    await fs.writeFile(p('model-q4_k_m.gguf'), 'GGUF');
  }, undefined, 'UnsupportedFormat', /model-q4_k_m\.gguf: .*found a GGUF file/],
  ['int8 tensors without a quantization_config', async () => {
    await model({ variant: 'w8a8' });
    await editJson('config.json', (c) => delete c.quantization_config);
  }, undefined, 'QuantizedTensorsWithoutConfig', /expected BF16\/F16\/F32 \(config\.json declares no quantization\), found I8/],
  ['W8A8 declared but weights saved as BF16', async () => {
    await model();
    await writeJson('config.json', syntheticConfig(resolveBaseModel('Qwen2.5-0.5B')!, 'w8a8'));
  }, undefined, 'QuantizationDtype', /model\.safetensors: expected W8A8 Linear weights stored as I8.*found 168 float Linear weights/],
  ['eos id beyond the vocabulary', async () => {
    await model();
    await editJson('generation_config.json', (g) => (g.eos_token_id = [151645, 200000]));
  }, undefined, 'EosToken', /generation_config\.json: expected eos_token_id below vocab_size 151936, found 200000/],
  ['added tokens beyond the vocabulary', async () => {
    await model();
    await editJson('tokenizer_config.json', (t) => (t.added_tokens_decoder['160000'] = { content: '<x>' }));
  }, undefined, 'TokenizerVocab', /expected added token ids below vocab_size 151936, found id 160000/],
];

describe('validateModel rejects', () => {
  it.each(REJECTIONS)('%s', async (_name, setup, declared, code, pattern) => {
    await setup();
    const report = await run(declared);
    expect(report.ok).toBe(false);
    const issue = report.errors.find((e) => e.code === code);
    if (!issue) throw new Error(`expected an error ${code}, got ${JSON.stringify(report.errors, null, 2)}`);
    expect(issue.message).toMatch(pattern);
    // Every failure says what was expected and what was found, and names its file when it has one.
    for (const e of report.errors) {
      expect(e.message).toMatch(/expected|more .* like the ones above/);
      if (e.file && e.file !== 'model weights') expect(e.message).toContain(e.file.replace(/^.*\//, ''));
    }
  });
});

describe('validateModel reads headers only', () => {
  it('validates a sharded 16 GB Meta-Llama-3-8B reading under 1 MB, none of it tensor data', async () => {
    await writeSyntheticModel(tmp, { base: 'Meta-Llama-3-8B', shards: 4 });
    const files = await walkModelDir(tmp);
    const inner = localModelSource(tmp, files);
    let bytesRead = 0;
    const dataStarts = new Map<string, number>();
    const reads: [string, number, number][] = [];
    const counting: ModelFileSource = {
      describe: () => inner.describe(),
      list: () => inner.list(),
      async read(file, start, length) {
        const buf = await inner.read(file, start, length);
        bytesRead += buf.length;
        reads.push([file, start, length]);
        if (file.endsWith('.safetensors') && start === 0) dataStarts.set(file, 8 + Number(buf.readBigUInt64LE(0)));
        return buf;
      },
    };
    const report = await validateModel(counting, { baseModel: 'meta-llama/Meta-Llama-3-8B' });
    expect(report.ok).toBe(true);
    expect(files.reduce((a, f) => a + f.size, 0)).toBeGreaterThan(16e9);
    expect(bytesRead).toBeLessThan(1024 * 1024);
    for (const [file, start, length] of reads) {
      const dataStart = dataStarts.get(file);
      if (dataStart !== undefined) expect(start + length).toBeLessThanOrEqual(dataStart);
    }
  });
});
