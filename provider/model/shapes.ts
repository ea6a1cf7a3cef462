import { expectedTensors } from './architectures';
import type { BaseModelEntry } from './catalogue';
import type { QuantizationVerdict } from './quantization';
import type { IssueLog } from './report';
import { elementCount, TensorInfo } from './safetensors';

// Every tensor name, shape and dtype against the identified base (hf-models.md 3.4), allowing the auxiliary
// tensors of the declared quantization scheme (5.3).

export type LocatedTensor = TensorInfo & { file: string };

const FLOAT_DTYPES = new Set(['BF16', 'F16', 'F32']);
const FP8_DTYPES = new Set(['F8_E4M3', 'F8_E5M2', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ']);
/** Scales and zero points compressed-tensors / fp8 writers add next to a quantized Linear weight. */
const AUX_SUFFIXES = ['weight_scale', 'weight_scale_inv', 'weight_zero_point', 'input_scale', 'input_zero_point', 'weight_shape', 'weight_packed', 'weight_g_idx'];
const MAX_REPORTED = 5;

/** Reports the first few issues of a kind, then one line with the count, so a wrong model does not print 300 lines. */
class Capped {
  private readonly counts = new Map<string, number>();
  constructor(private readonly log: IssueLog) {}
  error(code: string, file: string, message: string): void {
    const n = (this.counts.get(code) ?? 0) + 1;
    this.counts.set(code, n);
    if (n <= MAX_REPORTED) this.log.error(code, file, message);
  }
  flush(): void {
    for (const [code, n] of this.counts) {
      if (n > MAX_REPORTED) this.log.error(code, undefined, `${n - MAX_REPORTED} more ${code} errors like the ones above`);
    }
  }
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

function quantDtypeOk(q: QuantizationVerdict, dtype: string): boolean {
  if (q.storage === 'fp8') return FP8_DTYPES.has(dtype);
  if (q.storage === 'int8') return dtype === 'I8';
  return false;
}

/** Checks tensors against the base; returns the parameter count (quantization auxiliaries excluded). */
export function checkTensors(entry: BaseModelEntry, tensors: readonly LocatedTensor[], quant: QuantizationVerdict, log: IssueLog): number {
  const expected = expectedTensors(entry.family, entry.dims);
  const capped = new Capped(log);
  const seen = new Set<string>();
  let params = 0;
  let quantizedLinears = 0;
  let floatLinears = 0;

  for (const t of tensors) {
    if (t.name.endsWith('.rotary_emb.inv_freq')) continue; // old conversions stored this buffer; loaders ignore it
    const exp = expected.get(t.name);
    if (exp) {
      seen.add(t.name);
      params += elementCount(t.shape);
      if (!sameShape(exp.shape, t.shape)) {
        capped.error('TensorShape', t.file, `${t.file}: tensor ${t.name}: expected shape ${JSON.stringify(exp.shape)} for ${entry.id}, found ${JSON.stringify(t.shape)}`);
      }
      if (exp.linear && quant.scheme && quantDtypeOk(quant, t.dtype)) {
        quantizedLinears++;
      } else if (FLOAT_DTYPES.has(t.dtype)) {
        if (exp.linear) floatLinears++;
      } else if (quant.scheme) {
        capped.error('TensorDtype', t.file, `${t.file}: tensor ${t.name}: expected ${exp.linear ? `a ${quant.scheme} weight (${quant.storage === 'fp8' ? 'F8_E4M3' : 'I8'}) or BF16/F16/F32` : 'BF16/F16/F32'}, found ${t.dtype}`);
      } else {
        capped.error(
          'QuantizedTensorsWithoutConfig',
          t.file,
          `${t.file}: tensor ${t.name}: expected BF16/F16/F32 (config.json declares no quantization), found ${t.dtype}; quantized tensors without a quantization_config cannot be verified`,
        );
      }
      continue;
    }
    const dot = t.name.lastIndexOf('.');
    const owner = `${t.name.slice(0, dot)}.weight`;
    const suffix = t.name.slice(dot + 1);
    const ownerExp = expected.get(owner);
    if (quant.scheme && ownerExp?.linear && AUX_SUFFIXES.includes(suffix)) {
      if (suffix === 'weight_packed') {
        seen.add(owner);
        quantizedLinears++;
        const bits = quant.weightBits ?? 4;
        const want = [ownerExp.shape[0], (ownerExp.shape[1] * bits) / 32];
        if (!sameShape(want, t.shape)) capped.error('TensorShape', t.file, `${t.file}: tensor ${t.name}: expected packed shape ${JSON.stringify(want)} for int${bits} ${entry.id}, found ${JSON.stringify(t.shape)}`);
        params += elementCount(ownerExp.shape);
      }
      continue;
    }
    capped.error('UnexpectedTensor', t.file, `${t.file}: tensor ${t.name}: expected only ${entry.id} tensors${quant.scheme ? ` and ${quant.scheme} scales` : ''}, found this extra ${t.dtype} ${JSON.stringify(t.shape)} tensor`);
  }

  for (const [name, exp] of expected) {
    if (!exp.optional && !seen.has(name)) {
      capped.error('MissingTensor', 'model weights', `model weights: expected tensor ${name} ${JSON.stringify(exp.shape)} of ${entry.id}, found it in no safetensors file`);
    }
  }
  capped.flush();
  if (quant.scheme && quantizedLinears === 0) {
    const files = [...new Set(tensors.map((t) => t.file))].join(', ');
    log.error(
      'QuantizationDtype',
      tensors[0]?.file,
      `${files}: expected ${quant.scheme} Linear weights stored as ${quant.storage === 'fp8' ? 'F8_E4M3' : quant.storage === 'packed-int32' ? 'I32 weight_packed' : 'I8'} (config.json declares ${quant.scheme}), found ${floatLinears} float Linear weights and no quantized ones; the checkpoint was not saved compressed`,
    );
  }
  return params;
}
