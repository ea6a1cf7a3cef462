import { checkAdapterFiles, checkAdapterTensors } from './adapters';
import { BaseModelEntry, resolveBaseModel, supportedBaseList } from './catalogue';
import { checkFileSet, classifyFiles } from './files';
import { describeSignature, identifyFromConfig, identifyFromTensors, lookAlikeHints, readConfigIdentity, shapeSignature } from './identify';
import { checkSafetensorsIndex } from './index-file';
import { readJsonObject } from './json-file';
import { classifyQuantization, QuantizationVerdict } from './quantization';
import { IssueLog, ModelReport } from './report';
import { readSafetensorsHeader, SafetensorsHeader } from './safetensors';
import { checkTensors, LocatedTensor } from './shapes';
import type { ModelFileSource } from './source';
import { checkTokenizer } from './tokenizer';

export type { ModelIssue, ModelReport } from './report';

export interface ValidateOptions {
  /** The base the user declares (catalogue id or HF id); the files must be that base. */
  baseModel?: string;
}

const MAX_CONFIG_BYTES = 1024 * 1024;
const UNQUANTIZED_DTYPES = new Set(['bfloat16', 'float16', 'float32']);

/**
 * Checks that a directory is a supported base or a full-weight fine-tune of one, in the form Ark imports.
 * Reads only config/tokenizer JSON and safetensors headers (small byte ranges), never tensor data, so a 16 GB
 * model validates in milliseconds locally and in a few range requests over TOS.
 */
export async function validateModel(source: ModelFileSource, opts: ValidateOptions = {}): Promise<ModelReport> {
  const log = new IssueLog();
  const layout = classifyFiles(await source.list());
  const detected: ModelReport['detected'] = { quantization: null };
  const finish = (): ModelReport => ({ ok: log.errors.length === 0, errors: log.errors, warnings: log.warnings, detected });

  let declared: BaseModelEntry | undefined;
  if (opts.baseModel !== undefined) {
    declared = resolveBaseModel(opts.baseModel);
    if (!declared) log.error('UnsupportedBaseModel', undefined, `baseModel: expected one of ${supportedBaseList()} (or their Hugging Face ids), found "${opts.baseModel}"`);
  }

  const adapterConfigFile = layout.byPath.get('adapter_config.json');
  const adapterConfig = adapterConfigFile ? await readJsonObject(source, adapterConfigFile, MAX_CONFIG_BYTES, log, 'AdapterConfig') : undefined;
  const adapterOnly = checkAdapterFiles(layout, adapterConfig, log);
  checkFileSet(layout, log, adapterOnly);
  if (!layout.config) return finish();

  const config = await readJsonObject(source, layout.config, MAX_CONFIG_BYTES, log, 'ConfigJson');
  if (!config) return finish();
  const torchDtype = config.torch_dtype ?? config.dtype;
  if (typeof torchDtype === 'string') detected.torchDtype = torchDtype;

  const quant: QuantizationVerdict = classifyQuantization(config, layout, log);
  detected.quantization = quant.scheme;
  if (!quant.scheme && !quant.rejected && detected.torchDtype && !UNQUANTIZED_DTYPES.has(detected.torchDtype)) {
    log.warn('TorchDtype', 'config.json', `config.json: expected torch_dtype bfloat16, float16 or float32, found ${detected.torchDtype}`);
  }

  const headers = (await Promise.all(layout.safetensors.map((f) => readSafetensorsHeader(source, f, log)))).filter((h): h is SafetensorsHeader => h !== undefined);
  const tensors: LocatedTensor[] = headers.flatMap((h) => h.tensors.map((t) => ({ ...t, file: h.file })));
  await checkSafetensorsIndex(source, layout, headers, log);
  if (!layout.safetensorsIndex) reportDuplicateTensors(tensors, log);
  const loraInWeights = checkAdapterTensors(tensors, log);

  const identity = readConfigIdentity(config, log);
  const fromConfig = identity ? identifyFromConfig(identity, log) : undefined;
  // Shapes say nothing reliable for rejected quantizations (GPTQ/AWQ repack weights) or LoRA-wrapped names.
  const shapesUsable = tensors.length > 0 && !quant.rejected && !loraInWeights;
  const fromShapes = shapesUsable ? identifyFromTensors(tensors) : undefined;

  if (fromConfig && fromShapes && fromConfig !== fromShapes) {
    log.error(
      'ConfigShapeMismatch',
      headers[0]?.file,
      `${headers[0]?.file}: expected the tensor shapes of ${fromConfig.id} (what config.json describes), found the shapes of ${fromShapes.id} (${describeSignature(shapeSignature(tensors))}); config.json and the weights come from different models`,
    );
  }
  const base = fromConfig ?? (identity ? undefined : fromShapes);
  if (base) detected.baseModel = base.id;
  if (declared && base && declared !== base) {
    log.error(
      'BaseModelMismatch',
      'config.json',
      `baseModel: expected files of the declared ${declared.id} (${declared.hfIds[0]}), found ${base.id}: config.json has model_type ${base.modelType}, hidden_size ${base.dims.hiddenSize}, ${base.dims.numHiddenLayers} layers, vocab_size ${base.dims.vocabSize}${fromShapes === base ? ' and the safetensors shapes agree' : ''}; set baseModel to ${base.id}`,
    );
  }

  if (base) {
    lookAlikeHints(base, config, log);
    if (shapesUsable && (!fromShapes || fromShapes === base)) {
      const params = checkTensors(base, tensors, quant, log);
      if (params > 0) detected.parameterCount = params;
    }
    await checkTokenizer(source, layout, base, config, log);
  }
  return finish();
}

function reportDuplicateTensors(tensors: readonly LocatedTensor[], log: IssueLog): void {
  const firstFile = new Map<string, string>();
  for (const t of tensors) {
    const prev = firstFile.get(t.name);
    if (prev !== undefined && prev !== t.file) {
      log.error('DuplicateTensor', t.file, `${t.file}: tensor ${t.name}: expected each tensor in exactly one safetensors file, found it also in ${prev}`);
    } else firstFile.set(t.name, t.file);
  }
}
