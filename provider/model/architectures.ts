// Tensor layouts per architecture family: which tensors a checkpoint of that family holds and their shapes,
// as functions of the config dimensions. A new base of an existing family needs only a catalogue entry; a new
// family needs one entry here. Facts: ../shared/reference/hf-models.md (beside the repository) sections 3.1-3.3.

export interface ModelDims {
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  vocabSize: number;
  tieWordEmbeddings: boolean;
}

export type ArchitectureFamily = 'qwen2' | 'qwen3' | 'llama';

interface LayerTensor {
  /** Suffix after `model.layers.N.`. */
  name: string;
  shape: (d: ModelDims) => number[];
  /** A Linear weight: the tensor quantization schemes replace (int8/fp8 weight plus scales). */
  linear?: boolean;
}

const q = (d: ModelDims) => d.numAttentionHeads * d.headDim;
const kv = (d: ModelDims) => d.numKeyValueHeads * d.headDim;

const COMMON_LAYER: LayerTensor[] = [
  { name: 'input_layernorm.weight', shape: (d) => [d.hiddenSize] },
  { name: 'post_attention_layernorm.weight', shape: (d) => [d.hiddenSize] },
  { name: 'self_attn.q_proj.weight', shape: (d) => [q(d), d.hiddenSize], linear: true },
  { name: 'self_attn.k_proj.weight', shape: (d) => [kv(d), d.hiddenSize], linear: true },
  { name: 'self_attn.v_proj.weight', shape: (d) => [kv(d), d.hiddenSize], linear: true },
  { name: 'self_attn.o_proj.weight', shape: (d) => [d.hiddenSize, q(d)], linear: true },
  { name: 'mlp.gate_proj.weight', shape: (d) => [d.intermediateSize, d.hiddenSize], linear: true },
  { name: 'mlp.up_proj.weight', shape: (d) => [d.intermediateSize, d.hiddenSize], linear: true },
  { name: 'mlp.down_proj.weight', shape: (d) => [d.hiddenSize, d.intermediateSize], linear: true },
];

const LAYER_TENSORS: Record<ArchitectureFamily, LayerTensor[]> = {
  // Qwen2 has biases on q/k/v (not o) and no MLP biases.
  qwen2: [
    ...COMMON_LAYER,
    { name: 'self_attn.q_proj.bias', shape: (d) => [q(d)] },
    { name: 'self_attn.k_proj.bias', shape: (d) => [kv(d)] },
    { name: 'self_attn.v_proj.bias', shape: (d) => [kv(d)] },
  ],
  // Qwen3 drops the qkv biases and adds per-head RMSNorm on q and k.
  qwen3: [
    ...COMMON_LAYER,
    { name: 'self_attn.q_norm.weight', shape: (d) => [d.headDim] },
    { name: 'self_attn.k_norm.weight', shape: (d) => [d.headDim] },
  ],
  llama: COMMON_LAYER,
};

export interface ExpectedTensor {
  shape: number[];
  linear: boolean;
  /** lm_head of a tied-embedding model: transformers re-ties it, so its presence is tolerated. */
  optional: boolean;
}

export function expectedTensors(family: ArchitectureFamily, d: ModelDims): Map<string, ExpectedTensor> {
  const out = new Map<string, ExpectedTensor>();
  out.set('model.embed_tokens.weight', { shape: [d.vocabSize, d.hiddenSize], linear: false, optional: false });
  for (let layer = 0; layer < d.numHiddenLayers; layer++) {
    for (const t of LAYER_TENSORS[family]) {
      out.set(`model.layers.${layer}.${t.name}`, { shape: t.shape(d), linear: t.linear ?? false, optional: false });
    }
  }
  out.set('model.norm.weight', { shape: [d.hiddenSize], linear: false, optional: false });
  out.set('lm_head.weight', { shape: [d.vocabSize, d.hiddenSize], linear: false, optional: d.tieWordEmbeddings });
  return out;
}
