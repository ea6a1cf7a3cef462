import type { BaseModelEntry } from './catalogue';
import type { ModelLayout } from './files';
import { readJsonObject } from './json-file';
import type { IssueLog } from './report';
import type { ModelFileSource } from './source';

// Tokenizer sanity against the base (hf-models.md section 6). tokenizer.json itself (7-11 MB) is never read:
// added-token ids come from tokenizer_config.json, which is small.

const MAX_TOKENIZER_CONFIG_BYTES = 8 * 1024 * 1024;
const MAX_SMALL_JSON_BYTES = 1024 * 1024;

function ids(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
  return [];
}

export async function checkTokenizer(source: ModelFileSource, layout: ModelLayout, entry: BaseModelEntry, config: Record<string, unknown>, log: IssueLog): Promise<void> {
  const vocabSize = typeof config.vocab_size === 'number' ? config.vocab_size : entry.dims.vocabSize;
  if (entry.tokenizer === 'llama3-tiktoken' && (layout.byPath.has('vocab.json') || layout.byPath.has('merges.txt'))) {
    log.warn('TokenizerFamily', 'vocab.json', `vocab.json/merges.txt: expected the Llama 3 tokenizer (tokenizer.json only), found GPT2-style BPE files, which suggests tokenizer files from another model`);
  }
  if (entry.tokenizer === 'qwen-bpe' && layout.byPath.has('tokenizer.model')) {
    log.warn('TokenizerFamily', 'tokenizer.model', `tokenizer.model: expected the Qwen BPE tokenizer (tokenizer.json, vocab.json, merges.txt), found a SentencePiece/tiktoken model file, which suggests tokenizer files from another model`);
  }

  const tc = layout.byPath.get('tokenizer_config.json');
  if (tc) {
    const parsed = await readJsonObject(source, tc, MAX_TOKENIZER_CONFIG_BYTES, log, 'TokenizerConfig');
    const decoder = parsed?.added_tokens_decoder;
    if (decoder && typeof decoder === 'object') {
      const maxId = Math.max(-1, ...Object.keys(decoder).map(Number).filter(Number.isInteger));
      if (maxId >= vocabSize) {
        log.error('TokenizerVocab', tc.path, `${tc.path}: expected added token ids below vocab_size ${vocabSize}, found id ${maxId}; resize the embeddings (and accept a non-base shape) or drop the added tokens`);
      }
    }
  }

  const eos: [string, number[]][] = [['config.json', ids(config.eos_token_id)]];
  const gc = layout.byPath.get('generation_config.json');
  if (gc) {
    const parsed = await readJsonObject(source, gc, MAX_SMALL_JSON_BYTES, log, 'GenerationConfig');
    if (parsed) eos.push([gc.path, ids(parsed.eos_token_id)]);
  }
  for (const [file, list] of eos) {
    const bad = list.find((id) => id < 0 || id >= vocabSize);
    if (bad !== undefined) log.error('EosToken', file, `${file}: expected eos_token_id below vocab_size ${vocabSize}, found ${bad}`);
  }
}
