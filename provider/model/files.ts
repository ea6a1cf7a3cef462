import type { ModelFile } from './source';
import type { IssueLog } from './report';

// Sorts a model directory's listing into the roles Ark cares about and checks the file set Ark requires:
// exactly one config.json, at least one weight file, at least one tokenizer file (console docs, ark-api.md appendix).

export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'tokenizer.model'];
const ADAPTER_FILES = new Set(['adapter_config.json', 'adapter_model.safetensors', 'adapter_model.bin', 'adapters.safetensors']);
const NON_WEIGHT_PICKLES = new Set(['training_args.bin', 'optimizer.pt', 'scheduler.pt']);

export interface ModelLayout {
  all: ModelFile[];
  byPath: Map<string, ModelFile>;
  config?: ModelFile;
  configCopies: ModelFile[];
  safetensors: ModelFile[];
  /** Pickled weights (`*.bin`, `*.ckpt`) that cannot be inspected without unpickling. */
  pickles: ModelFile[];
  safetensorsIndex?: ModelFile;
  adapterFiles: ModelFile[];
  tokenizerFiles: ModelFile[];
}

const isTopLevel = (p: string) => !p.includes('/');
const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

export function classifyFiles(files: readonly ModelFile[]): ModelLayout {
  const top = files.filter((f) => isTopLevel(f.path));
  return {
    all: [...files],
    byPath: new Map(files.map((f) => [f.path, f])),
    config: top.find((f) => f.path === 'config.json'),
    configCopies: files.filter((f) => baseName(f.path) === 'config.json'),
    safetensors: top.filter((f) => f.path.endsWith('.safetensors') && !ADAPTER_FILES.has(f.path)),
    pickles: top.filter((f) => (f.path.endsWith('.bin') || f.path.endsWith('.ckpt')) && !ADAPTER_FILES.has(f.path) && !NON_WEIGHT_PICKLES.has(f.path)),
    safetensorsIndex: top.find((f) => f.path.endsWith('.safetensors.index.json')),
    adapterFiles: top.filter((f) => ADAPTER_FILES.has(f.path)),
    tokenizerFiles: top.filter((f) => TOKENIZER_FILES.includes(f.path)),
  };
}

function listSome(files: readonly ModelFile[], max = 8): string {
  if (files.length === 0) return 'no files at all';
  const names = files.slice(0, max).map((f) => f.path);
  return names.join(', ') + (files.length > max ? ` and ${files.length - max} more` : '');
}

/** File-set checks. An adapter directory skips the full-model checks: the adapter error already says what to do. */
export function checkFileSet(layout: ModelLayout, log: IssueLog, isAdapterOnly: boolean): void {
  if (layout.configCopies.length > 1) {
    log.error('MultipleConfig', layout.configCopies[1].path, `model directory: expected exactly one config.json, found ${layout.configCopies.length}: ${layout.configCopies.map((f) => f.path).join(', ')}; upload one model directory (exclude checkpoints/ or nested exports)`);
  } else if (!layout.config && !isAdapterOnly) {
    const nested = layout.configCopies[0];
    log.error(
      'MissingConfig',
      'config.json',
      nested
        ? `config.json: expected at the top of the model directory, found it only at ${nested.path}; point the source at ${nested.path.slice(0, -'/config.json'.length)}/`
        : `config.json: expected at the top of the model directory, found none (files: ${listSome(layout.all)})`,
    );
  }
  if (!isAdapterOnly && layout.safetensors.length === 0 && layout.pickles.length === 0) {
    log.error('NoWeights', undefined, `model directory: expected weight files (*.safetensors, or *.bin) at the top level, found none (files: ${listSome(layout.all)})`);
  }
  if (layout.tokenizerFiles.length === 0) {
    log.error('NoTokenizer', undefined, `model directory: expected at least one tokenizer file (${TOKENIZER_FILES.join(', ')}) at the top level, found none; copy them from the base model or your trainer's output`);
  }
  for (const f of layout.pickles) {
    log.warn(
      'UnverifiedWeights',
      f.path,
      `${f.path}: expected safetensors weights, found a pickle; accepted, but tensor names, shapes and dtypes were not verified (reading them requires unpickling). Convert with save_pretrained(safe_serialization=True) to get them checked`,
    );
  }
  if (layout.safetensors.length > 0 && layout.pickles.length > 0) {
    log.warn('RedundantWeights', layout.pickles[0].path, `model directory: expected one weight format, found both *.safetensors and ${listSome(layout.pickles)}; loaders use the safetensors, so the pickles only add upload time`);
  }
  for (const f of layout.all) {
    if (f.path.endsWith('.gguf')) {
      log.error('UnsupportedFormat', f.path, `${f.path}: expected Hugging Face safetensors weights, found a GGUF file; GGUF is not accepted, upload the HF export (config.json + *.safetensors) instead`);
    }
  }
  const artifacts = layout.all.filter((f) => /(^|\/)(optimizer\.pt|scheduler\.pt|rng_state[^/]*\.pth)$/.test(f.path) || /^checkpoint-\d+\//.test(f.path));
  if (artifacts.length > 0) {
    log.warn('TrainingArtifacts', artifacts[0].path, `model directory: expected only the model, found training artifacts (${listSome(artifacts, 4)}); exclude them to save upload time`);
  }
}
