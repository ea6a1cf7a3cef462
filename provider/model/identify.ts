import type { ModelDims } from './architectures';
import { BASE_MODELS, BaseModelEntry } from './catalogue';
import type { IssueLog } from './report';
import type { TensorInfo } from './safetensors';

// Which catalogue base a directory is, judged twice: from config.json dimensions and from the tensor shapes in the
// safetensors headers. Names in config (`_name_or_path`) are never trusted.

export interface ConfigIdentity {
  modelType: string;
  architecture: string;
  dims: ModelDims;
}

const DIM_FIELDS: [keyof ModelDims, string][] = [
  ['hiddenSize', 'hidden_size'],
  ['intermediateSize', 'intermediate_size'],
  ['numHiddenLayers', 'num_hidden_layers'],
  ['numAttentionHeads', 'num_attention_heads'],
  ['numKeyValueHeads', 'num_key_value_heads'],
  ['headDim', 'head_dim'],
  ['vocabSize', 'vocab_size'],
];

export function describeDims(d: ModelDims): string {
  return DIM_FIELDS.map(([k, json]) => `${json} ${String(d[k])}`).join(', ');
}

/** Reads the identity fields of config.json; missing or non-integer fields are reported. */
export function readConfigIdentity(config: Record<string, unknown>, log: IssueLog): ConfigIdentity | undefined {
  const int = (json: string): number | undefined => {
    const v = config[json];
    return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;
  };
  const modelType = typeof config.model_type === 'string' ? config.model_type : '';
  const architecture = Array.isArray(config.architectures) && typeof config.architectures[0] === 'string' ? config.architectures[0] : '';
  if (!BASE_MODELS.some((b) => b.modelType === modelType)) {
    const supported = [...new Set(BASE_MODELS.map((b) => `${b.modelType} (${b.architecture})`))].join(', ');
    log.error('UnsupportedArchitecture', 'config.json', `config.json: expected model_type one of ${supported}, found model_type ${JSON.stringify(config.model_type)} (architectures ${JSON.stringify(config.architectures)})`);
    return undefined;
  }
  const heads = int('num_attention_heads');
  const hidden = int('hidden_size');
  const raw: Partial<Record<keyof ModelDims, number>> = {};
  let ok = true;
  for (const [key, json] of DIM_FIELDS) {
    // head_dim is optional: HF and vLLM derive it as hidden_size / num_attention_heads when absent.
    const value = json === 'head_dim' && config.head_dim === undefined && hidden && heads ? hidden / heads : json === 'num_key_value_heads' && config[json] === undefined ? heads : int(json);
    if (value === undefined) {
      log.error('ConfigField', 'config.json', `config.json: expected ${json} as a positive integer, found ${JSON.stringify(config[json])}`);
      ok = false;
    }
    raw[key] = value;
  }
  if (!ok) return undefined;
  const tie = config.tie_word_embeddings;
  return { modelType, architecture, dims: { ...(raw as Omit<ModelDims, 'tieWordEmbeddings'>), tieWordEmbeddings: tie === true } as ModelDims };
}

function differences(entry: BaseModelEntry, d: ModelDims): string[] {
  return DIM_FIELDS.filter(([k]) => entry.dims[k] !== d[k]).map(([k, json]) => `${json} expected ${String(entry.dims[k])}, found ${String(d[k])}`);
}

/** The base whose config dimensions these are; reports why when none is. */
export function identifyFromConfig(id: ConfigIdentity, log: IssueLog): BaseModelEntry | undefined {
  const sameType = BASE_MODELS.filter((b) => b.modelType === id.modelType);
  const match = sameType.find((b) => differences(b, id.dims).length === 0);
  if (match) {
    if (id.architecture !== match.architecture) {
      log.error('UnsupportedArchitecture', 'config.json', `config.json: expected architectures ["${match.architecture}"] (a causal LM), found ["${id.architecture}"]`);
    }
    if (id.dims.tieWordEmbeddings !== match.dims.tieWordEmbeddings) {
      log.warn(
        'TiedEmbeddings',
        'config.json',
        `config.json: expected tie_word_embeddings ${String(match.dims.tieWordEmbeddings)} as in ${match.id}, found ${String(id.dims.tieWordEmbeddings)}; the model no longer has the base's exact architecture`,
      );
    }
    return match;
  }
  const closest = [...sameType].sort((a, b) => differences(a, id.dims).length - differences(b, id.dims).length)[0];
  log.error(
    'UnsupportedBaseModel',
    'config.json',
    `config.json: expected the dimensions of a supported base (${BASE_MODELS.map((b) => b.id).join(', ')}), found ${id.modelType} with ${describeDims(id.dims)}; closest is ${closest.id}: ${differences(closest, id.dims).join('; ')}`,
  );
  return undefined;
}

/** Shape signature of a checkpoint, read from tensor names and shapes only. */
export interface ShapeSignature {
  embed?: number[];
  layers: number;
  qOut?: number;
  kOut?: number;
  gateOut?: number;
  qkvBias: boolean;
  qkNorm: boolean;
}

function out(byName: Map<string, TensorInfo>, base: string): number | undefined {
  // pack-quantized checkpoints keep the output dimension first in weight_packed.
  return (byName.get(`${base}.weight`) ?? byName.get(`${base}.weight_packed`))?.shape[0];
}

export function shapeSignature(tensors: readonly TensorInfo[]): ShapeSignature {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  let layers = 0;
  for (const t of tensors) {
    const m = /^model\.layers\.(\d+)\./.exec(t.name);
    if (m) layers = Math.max(layers, Number(m[1]) + 1);
  }
  return {
    embed: byName.get('model.embed_tokens.weight')?.shape,
    layers,
    qOut: out(byName, 'model.layers.0.self_attn.q_proj'),
    kOut: out(byName, 'model.layers.0.self_attn.k_proj'),
    gateOut: out(byName, 'model.layers.0.mlp.gate_proj'),
    qkvBias: byName.has('model.layers.0.self_attn.q_proj.bias'),
    qkNorm: byName.has('model.layers.0.self_attn.q_norm.weight'),
  };
}

export function describeSignature(s: ShapeSignature): string {
  return `embed_tokens ${JSON.stringify(s.embed ?? null)}, ${s.layers} layers, q_proj out ${String(s.qOut)}, k_proj out ${String(s.kOut)}, gate_proj out ${String(s.gateOut)}, ${s.qkvBias ? 'with' : 'no'} qkv bias, ${s.qkNorm ? 'with' : 'no'} q/k norm`;
}

function signatureOf(b: BaseModelEntry): ShapeSignature {
  const d = b.dims;
  return {
    embed: [d.vocabSize, d.hiddenSize],
    layers: d.numHiddenLayers,
    qOut: d.numAttentionHeads * d.headDim,
    kOut: d.numKeyValueHeads * d.headDim,
    gateOut: d.intermediateSize,
    qkvBias: b.family === 'qwen2',
    qkNorm: b.family === 'qwen3',
  };
}

export function identifyFromTensors(tensors: readonly TensorInfo[]): BaseModelEntry | undefined {
  const sig = JSON.stringify(shapeSignature(tensors));
  return BASE_MODELS.find((b) => JSON.stringify(signatureOf(b)) === sig);
}

/** Same-shape look-alikes that only config hints separate (hf-models.md 1.5). */
export function lookAlikeHints(entry: BaseModelEntry, config: Record<string, unknown>, log: IssueLog): void {
  const rope = config.rope_scaling as { rope_type?: unknown; type?: unknown } | null | undefined;
  if (entry.id === 'Meta-Llama-3-8B' && (rope?.rope_type === 'llama3' || rope?.type === 'llama3' || config.max_position_embeddings === 131072)) {
    log.warn(
      'LookAlikeBase',
      'config.json',
      `config.json: expected Meta-Llama-3-8B settings (max_position_embeddings 8192, rope_scaling null), found ${String(config.max_position_embeddings)} and ${JSON.stringify(rope)}, which is Llama-3.1-8B; it has the same shapes, but Ark serves it as Meta-Llama-3-8B`,
    );
  }
}
