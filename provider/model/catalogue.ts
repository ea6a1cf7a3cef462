import type { FoundationModelRef } from '../api/ark';
import type { ArchitectureFamily, ModelDims } from './architectures';

// The supported bases, one entry each. Ark's supported list changes over time: adding a base is one entry here
// (docs/base-models.md says how). Config values: ../shared/reference/hf-models.md (beside the repository) section 1.1.
// Ark references: ../shared/reference/ark-api-2026.md F17. Open-source bases carry 8-digit YYYYMMDD versions, and
// every one seen is the Hugging Face release date of the base (Qwen3 2025-04-29, Qwen2.5 2024-09-19).

/** The inferred Qwen2.5 version: the pattern of the one Qwen2.5 id seen, `qwen2-5-72b-20240919` [3P]. */
const QWEN25_REF_SOURCE: ArkRefConfidence = {
  label: 'I',
  source: 'F17: the 8-digit version of the 3P data-plane id qwen2-5-72b-20240919 (Qwen2.5 release date); this size not seen',
};

/**
 * How sure the catalogue is of an entry's Ark reference: a label of ../shared/reference/ark-api-2026.md (`C` an
 * official SDK or doc, `C-cli` Volcengine's ark-cli docs, `3P` third-party records of live calls, `I` our
 * inference) and the evidence. `pulumi-ark doctor` and docs/base-models.md show both.
 */
export interface ArkRefConfidence {
  label: 'C' | 'C-cli+3P' | 'I' | 'I, unverified';
  source: string;
}

export interface BaseModelEntry {
  /** Catalogue id users write as `baseModel` (`Qwen2.5-7B`). */
  id: string;
  /** Hugging Face repo ids that name the same base (`Qwen/Qwen2.5-7B`). */
  hfIds: string[];
  /**
   * The Ark FoundationModel reference UploadModel imports against, unless the CustomModel names another
   * (`baseModelRef`: the model card shared with an account may differ, reference F4/F17).
   */
  ark: FoundationModelRef;
  arkConfidence: ArkRefConfidence;
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
    ark: { Name: 'qwen2-5-0-5b', ModelVersion: '20240919' },
    arkConfidence: QWEN25_REF_SOURCE,
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
    ark: { Name: 'qwen2-5-3b', ModelVersion: '20240919' },
    arkConfidence: QWEN25_REF_SOURCE,
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
    ark: { Name: 'qwen2-5-7b', ModelVersion: '20240919' },
    arkConfidence: QWEN25_REF_SOURCE,
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
    ark: { Name: 'qwen3-8b', ModelVersion: '20250429' },
    arkConfidence: {
      label: 'C-cli+3P',
      source: 'F17: ark-cli arkcli-models (YYYYMMDD for qwen, qwen3-14b-20250429) and 3P data-plane id qwen3-8b-20250429',
    },
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
    // No source names an uploadable Llama 3 base. Ark's retired Llama-3-8B was `llama3-8b` / `instruct` [C-mirror];
    // the version is the open-source pattern dated on Meta's Llama 3 release (2024-04-18). Set baseModelRef from
    // the model card shared with the account.
    ark: { Name: 'llama3-8b', ModelVersion: '20240418' },
    arkConfidence: {
      label: 'I, unverified',
      source: "F17: Ark's retired Llama-3-8B was llama3-8b/instruct; the version follows the YYYYMMDD release-date pattern; no source shows it",
    },
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
