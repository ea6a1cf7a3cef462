import type { FoundationModelRef } from '../api/ark';
import type { ArchitectureFamily, ModelDims } from './architectures';

// The supported bases, one entry each. Ark's supported list changes over time: adding a base is one entry here
// (docs/base-models.md says how). Config values: ../shared/reference/hf-models.md (beside the repository) section 1.1.

export interface BaseModelEntry {
  /** Catalogue id users write as `baseModel` (`Qwen2.5-7B`). */
  id: string;
  /** Hugging Face repo ids that name the same base (`Qwen/Qwen2.5-7B`). */
  hfIds: string[];
  /** The Ark FoundationModel reference UploadModel imports against (naming assumed; see docs/api-assumptions.md). */
  ark: FoundationModelRef;
  family: ArchitectureFamily;
  /** config.json `architectures[0]` and `model_type`. */
  architecture: string;
  modelType: string;
  dims: ModelDims;
  /** Facts that fine-tunes legitimately change; only used for hints, never for identification. */
  hints: { maxPositionEmbeddings: number; ropeTheta: number; eosTokenId: number };
  tokenizer: 'qwen-bpe' | 'llama3-tiktoken';
  /** Sum of tensor elements of the bf16 base (checks the tensor tables; hf-models.md section 1.2). */
  parameterCount: number;
}

export const BASE_MODELS: readonly BaseModelEntry[] = [
  {
    id: 'Qwen2.5-0.5B',
    hfIds: ['Qwen/Qwen2.5-0.5B'],
    ark: { Name: 'qwen2-5-0-5b', ModelVersion: '240919' },
    family: 'qwen2',
    architecture: 'Qwen2ForCausalLM',
    modelType: 'qwen2',
    dims: { hiddenSize: 896, intermediateSize: 4864, numHiddenLayers: 24, numAttentionHeads: 14, numKeyValueHeads: 2, headDim: 64, vocabSize: 151936, tieWordEmbeddings: true },
    hints: { maxPositionEmbeddings: 32768, ropeTheta: 1000000, eosTokenId: 151643 },
    tokenizer: 'qwen-bpe',
    parameterCount: 494_032_768,
  },
  {
    id: 'Qwen2.5-3B',
    hfIds: ['Qwen/Qwen2.5-3B'],
    ark: { Name: 'qwen2-5-3b', ModelVersion: '240919' },
    family: 'qwen2',
    architecture: 'Qwen2ForCausalLM',
    modelType: 'qwen2',
    dims: { hiddenSize: 2048, intermediateSize: 11008, numHiddenLayers: 36, numAttentionHeads: 16, numKeyValueHeads: 2, headDim: 128, vocabSize: 151936, tieWordEmbeddings: true },
    hints: { maxPositionEmbeddings: 32768, ropeTheta: 1000000, eosTokenId: 151643 },
    tokenizer: 'qwen-bpe',
    parameterCount: 3_085_938_688,
  },
  {
    id: 'Qwen2.5-7B',
    hfIds: ['Qwen/Qwen2.5-7B'],
    ark: { Name: 'qwen2-5-7b', ModelVersion: '240919' },
    family: 'qwen2',
    architecture: 'Qwen2ForCausalLM',
    modelType: 'qwen2',
    dims: { hiddenSize: 3584, intermediateSize: 18944, numHiddenLayers: 28, numAttentionHeads: 28, numKeyValueHeads: 4, headDim: 128, vocabSize: 152064, tieWordEmbeddings: false },
    hints: { maxPositionEmbeddings: 131072, ropeTheta: 1000000, eosTokenId: 151643 },
    tokenizer: 'qwen-bpe',
    parameterCount: 7_615_616_512,
  },
  {
    id: 'Qwen3-8B',
    hfIds: ['Qwen/Qwen3-8B'],
    ark: { Name: 'qwen3-8b', ModelVersion: '250429' },
    family: 'qwen3',
    architecture: 'Qwen3ForCausalLM',
    modelType: 'qwen3',
    dims: { hiddenSize: 4096, intermediateSize: 12288, numHiddenLayers: 36, numAttentionHeads: 32, numKeyValueHeads: 8, headDim: 128, vocabSize: 151936, tieWordEmbeddings: false },
    hints: { maxPositionEmbeddings: 40960, ropeTheta: 1000000, eosTokenId: 151645 },
    tokenizer: 'qwen-bpe',
    parameterCount: 8_190_735_360,
  },
  {
    id: 'Meta-Llama-3-8B',
    hfIds: ['meta-llama/Meta-Llama-3-8B'],
    ark: { Name: 'meta-llama-3-8b', ModelVersion: '240418' },
    family: 'llama',
    architecture: 'LlamaForCausalLM',
    modelType: 'llama',
    dims: { hiddenSize: 4096, intermediateSize: 14336, numHiddenLayers: 32, numAttentionHeads: 32, numKeyValueHeads: 8, headDim: 128, vocabSize: 128256, tieWordEmbeddings: false },
    hints: { maxPositionEmbeddings: 8192, ropeTheta: 500000, eosTokenId: 128001 },
    tokenizer: 'llama3-tiktoken',
    parameterCount: 8_030_261_248,
  },
];

/** Accepts the catalogue id or an HF id, case-insensitively: `Qwen2.5-7B`, `qwen2.5-7b`, `Qwen/Qwen2.5-7B`. */
export function resolveBaseModel(nameOrHfId: string): BaseModelEntry | undefined {
  const wanted = nameOrHfId.trim().toLowerCase();
  return BASE_MODELS.find((b) => b.id.toLowerCase() === wanted || b.hfIds.some((h) => h.toLowerCase() === wanted));
}

export function baseModelByArkRef(ref: FoundationModelRef): BaseModelEntry | undefined {
  return BASE_MODELS.find((b) => b.ark.Name === ref.Name && b.ark.ModelVersion === ref.ModelVersion);
}

export function supportedBaseList(): string {
  return BASE_MODELS.map((b) => b.id).join(', ');
}
