import type { Quantization } from '../api/ark';
import type { ModelLayout } from './files';
import type { IssueLog } from './report';

// Recognises quantized checkpoints (hf-models.md section 5 and its appendix): Ark accepts W8A8 (INT8
// compressed-tensors int-quantized, or FP8 which Ark's console calls W8A8_FP8) and W4A8; everything else is named
// and rejected.

export interface QuantizationVerdict {
  scheme: Quantization | null;
  /** How quantized Linear weights are stored, for the tensor checks. */
  storage?: 'int8' | 'packed-int32' | 'fp8';
  /** Bits of the quantized weights (4 or 8). */
  weightBits?: number;
  /** A quantization that Ark does not serve was found (already reported). */
  rejected: boolean;
}

interface Args {
  num_bits?: unknown;
  type?: unknown;
  symmetric?: unknown;
}
interface Scheme {
  weights?: Args | null;
  input_activations?: Args | null;
}

/** compressed-tensors presets, when config_groups name them instead of spelling the args out. */
const PRESETS: Record<string, Scheme> = {
  W8A8: { weights: { num_bits: 8, type: 'int' }, input_activations: { num_bits: 8, type: 'int' } },
  INT8: { weights: { num_bits: 8, type: 'int' }, input_activations: { num_bits: 8, type: 'int' } },
  W4A8: { weights: { num_bits: 4, type: 'int' }, input_activations: { num_bits: 8, type: 'int' } },
  W4A16: { weights: { num_bits: 4, type: 'int' }, input_activations: null },
  W8A16: { weights: { num_bits: 8, type: 'int' }, input_activations: null },
  W4AFP8: { weights: { num_bits: 4, type: 'int' }, input_activations: { num_bits: 8, type: 'float' } },
  FP8: { weights: { num_bits: 8, type: 'float' }, input_activations: { num_bits: 8, type: 'float' } },
  FP8_DYNAMIC: { weights: { num_bits: 8, type: 'float' }, input_activations: { num_bits: 8, type: 'float' } },
  FP8_BLOCK: { weights: { num_bits: 8, type: 'float' }, input_activations: { num_bits: 8, type: 'float' } },
  NVFP4: { weights: { num_bits: 4, type: 'float' }, input_activations: { num_bits: 4, type: 'float' } },
  NVFP4A16: { weights: { num_bits: 4, type: 'float' }, input_activations: null },
  MXFP4: { weights: { num_bits: 4, type: 'float' }, input_activations: { num_bits: 4, type: 'float' } },
};

type GroupVerdict = { scheme: Quantization } | { name: string };

function classifyGroup(s: Scheme): GroupVerdict {
  const w = s.weights ?? undefined;
  const a = s.input_activations ?? undefined;
  const wb = Number(w?.num_bits ?? 8);
  if (!w) return { name: 'activation-only quantization (no quantized weights)' };
  if (!a) return { name: `${w.type === 'float' ? 'FP' : 'INT'}${wb} weight-only (W${wb}A16)` };
  const ab = Number(a.num_bits ?? 8);
  if (w.type === 'int' && a.type === 'int' && ab === 8 && (wb === 8 || wb === 4)) return { scheme: wb === 8 ? 'W8A8' : 'W4A8' };
  if (w.type === 'float' && a.type === 'float' && wb === 8 && ab === 8) return { scheme: 'W8A8_FP8' };
  if (w.type === 'int' && a.type === 'float') return { name: `W${wb}AFP${ab} (int${wb} weights, FP${ab} activations)` };
  if (w.type === 'float' && wb === 4) return { name: 'NVFP4/MXFP4 (4-bit float)' };
  return { name: `W${wb}A${ab} (${String(w.type)} weights, ${String(a.type)} activations)` };
}

function groupsOf(qc: Record<string, unknown>): Scheme[] {
  const groups = (qc.config_groups ?? {}) as Record<string, unknown>;
  return Object.entries(groups).map(([key, value]) => (Array.isArray(value) ? PRESETS[key.toUpperCase()] ?? { weights: { type: key } } : (value as Scheme)));
}

const ACCEPTED = 'no quantization (BF16/FP16), W8A8 (INT8 or FP8) or W4A8';

function reject(log: IssueLog, file: string, where: string, name: string): QuantizationVerdict {
  log.error(
    'UnsupportedQuantization',
    file,
    `${file}: ${where}: expected ${ACCEPTED}, found ${name}; Ark cannot serve it: upload the unquantized BF16 weights, or re-quantize them to W8A8/W4A8 with llm-compressor (compressed-tensors)`,
  );
  return { scheme: null, rejected: true };
}

function classifyCompressedTensors(qc: Record<string, unknown>, where: string, log: IssueLog): QuantizationVerdict {
  const format = String(qc.format ?? '');
  if (format.includes('sparse') || format === 'marlin-24') return reject(log, 'config.json', where, `compressed-tensors sparse format "${format}"`);
  const groups = groupsOf(qc);
  if (groups.length === 0) return reject(log, 'config.json', where, 'compressed-tensors with no config_groups (cannot tell the scheme)');
  const verdicts = groups.map(classifyGroup);
  const named = verdicts.find((v): v is { name: string } => 'name' in v);
  if (named) return reject(log, 'config.json', where, `compressed-tensors ${named.name}`);
  const schemes = [...new Set(verdicts.map((v) => (v as { scheme: Quantization }).scheme))];
  if (schemes.length > 1) return reject(log, 'config.json', where, `mixed-precision compressed-tensors (${schemes.join(' + ')} in different groups)`);
  const scheme = schemes[0];
  if (groups.some((g) => g.weights?.symmetric === false)) {
    log.warn('AsymmetricWeights', 'config.json', `config.json: ${where}: expected symmetric weights (what vLLM-style ${scheme} kernels require), found symmetric: false`);
  }
  const weightBits = Number(groups[0].weights?.num_bits ?? 8);
  const storage = scheme === 'W8A8_FP8' ? 'fp8' : format === 'pack-quantized' ? 'packed-int32' : 'int8';
  return { scheme, storage, weightBits, rejected: false };
}

function describeOther(method: string, qc: Record<string, unknown>): string {
  const bits = qc.bits ?? qc.w_bit;
  switch (method) {
    case 'gptq':
      return `GPTQ int${String(bits ?? '?')} weight-only (W${String(bits ?? '?')}A16)`;
    case 'awq':
      return `AWQ int${String(bits ?? '?')} weight-only (W${String(bits ?? '?')}A16)`;
    case 'bitsandbytes':
      if (qc.load_in_4bit) return `bitsandbytes 4-bit ${String(qc.bnb_4bit_quant_type ?? 'nf4').toUpperCase()}`;
      return 'bitsandbytes LLM.int8 (mixed fp16 outliers; not a W8A8 deployment format)';
    case 'fbgemm_fp8':
      return 'FBGEMM FP8';
    default:
      return `quant_method "${method}"`;
  }
}

const SIDE_FILES: [string, string][] = [
  ['quantize_config.json', 'GPTQ (quantize_config.json)'],
  ['quant_config.json', 'AWQ (quant_config.json)'],
  ['hf_quant_config.json', 'NVIDIA ModelOpt (hf_quant_config.json)'],
  ['quantization_config.json', 'EXL2/EXL3 (quantization_config.json)'],
];

export function classifyQuantization(config: Record<string, unknown>, layout: ModelLayout, log: IssueLog): QuantizationVerdict {
  const textConfig = (config.text_config ?? undefined) as Record<string, unknown> | undefined;
  const found: [string, unknown][] = [
    ['quantization_config', config.quantization_config],
    ['compression_config', config.compression_config],
    ['text_config.quantization_config', textConfig?.quantization_config],
  ];
  const hit = found.find(([, v]) => v !== undefined && v !== null);
  if (!hit) {
    if (config.quantization !== undefined) return reject(log, 'config.json', 'quantization', 'MLX quantization');
    for (const [file, name] of SIDE_FILES) {
      if (layout.byPath.has(file)) return reject(log, file, 'quantization side file', name);
    }
    return { scheme: null, rejected: false };
  }
  const [where, raw] = hit;
  if (typeof raw !== 'object' || Array.isArray(raw)) return reject(log, 'config.json', where, `a ${typeof raw} instead of an object`);
  const qc = raw as Record<string, unknown>;
  const method = String(qc.quant_method ?? '').toLowerCase();
  if (method === 'compressed-tensors' || method === 'compressed_tensors') return classifyCompressedTensors(qc, where, log);
  if (method === 'fp8' && qc.activation_scheme !== undefined) return { scheme: 'W8A8_FP8', storage: 'fp8', weightBits: 8, rejected: false };
  return reject(log, 'config.json', where, describeOther(method, qc));
}
