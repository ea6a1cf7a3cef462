import type { ModelLayout } from './files';
import type { IssueLog } from './report';
import type { TensorInfo } from './safetensors';

// Unmerged LoRA/PEFT adapters (hf-models.md section 4): Ark serves full weights only.

export const MERGE_HINT =
  'merge it into the base first: `model = PeftModel.from_pretrained(base, adapter_dir).merge_and_unload(); model.save_pretrained(out_dir)` (plus the tokenizer), or use your trainer\'s export/merge command, then upload the merged directory';

const LORA_KEY = /(^|\.)(lora_A|lora_B|lora_embedding_A|lora_embedding_B|lora_magnitude_vector|lora_a|lora_b)(\.|$)/;

function describeAdapterConfig(cfg: Record<string, unknown> | undefined): string {
  if (!cfg) return 'a LoRA/PEFT adapter';
  const targets = Array.isArray(cfg.target_modules) ? cfg.target_modules.join(',') : String(cfg.target_modules ?? '?');
  const base = typeof cfg.base_model_name_or_path === 'string' ? ` for base ${cfg.base_model_name_or_path}` : '';
  return `a ${String(cfg.peft_type ?? 'PEFT')} adapter (r=${String(cfg.r ?? '?')}, targets=${targets})${base}`;
}

/** Reports adapter files; returns true when the directory is only an adapter (no full model next to it). */
export function checkAdapterFiles(layout: ModelLayout, adapterConfig: Record<string, unknown> | undefined, log: IssueLog): boolean {
  if (layout.adapterFiles.length === 0) return false;
  const names = layout.adapterFiles.map((f) => f.path).join(', ');
  const hasFullModel = layout.config !== undefined && (layout.safetensors.length > 0 || layout.pickles.length > 0);
  if (hasFullModel) {
    log.error(
      'AdapterFilesPresent',
      layout.adapterFiles[0].path,
      `model directory: expected full weights only, found full weights and also ${names} (${describeAdapterConfig(adapterConfig)}); it is ambiguous whether the adapter was merged: if it was, remove the adapter files; if not, ${MERGE_HINT}`,
    );
    return false;
  }
  log.error(
    'LoraAdapter',
    layout.adapterFiles[0].path,
    `model directory: expected full model weights, found ${names}: ${describeAdapterConfig(adapterConfig)}; Ark needs merged full weights, so ${MERGE_HINT}`,
  );
  return true;
}

/** LoRA factors or PEFT-wrapped names inside the weights mean the adapter was saved unmerged. */
export function checkAdapterTensors(tensors: readonly (TensorInfo & { file: string })[], log: IssueLog): boolean {
  const lora = tensors.find((t) => LORA_KEY.test(t.name));
  const wrapped = tensors.find((t) => t.name.startsWith('base_model.model.') || t.name.includes('.base_layer.'));
  const hit = lora ?? wrapped;
  if (!hit) return false;
  const count = tensors.filter((t) => LORA_KEY.test(t.name) || t.name.startsWith('base_model.model.') || t.name.includes('.base_layer.')).length;
  log.error(
    'UnmergedLora',
    hit.file,
    `${hit.file}: expected merged weights named like model.layers.0.self_attn.q_proj.weight, found ${count} ${lora ? 'LoRA factor' : 'PEFT-wrapper'} tensors such as ${hit.name}; ${MERGE_HINT}`,
  );
  return true;
}
