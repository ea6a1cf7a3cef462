import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRollingRequest } from '../../api/ark-rolling';
import { CUSTOM_MODEL_ID_PATTERN, ENDPOINT_ID_PATTERN, FOUNDATION_MODEL_ID_PATTERN } from '../../api/ids';
import { tosEndpointUrl, tosUri } from '../../api/tos';
import { describeBaseRef, uploadModelRequest } from '../../api/upload-model';
import { toApiTags } from '../../clients/ark/finders';
import { BASE_MODELS, resolveBaseModel, supportedBaseList } from '../../model/catalogue';
import { localModelSource } from '../../model/source';
import { validateModel } from '../../model/validate';
import { ModelDirError, walkModelDir } from '../../model/walk';
import { arkModelName, importBaseRef } from '../../resources/custom-model/controller';
import type { Inputs as CustomModelInputs } from '../../resources/custom-model/schema';
import type { ProviderSettings } from '../../resources/controller';
import { resolveSettings, SettingsError, type StackConfig } from '../../settings';
import { contentDigest } from '../../sync/digest';
import { buildManifest, isHashed } from '../../sync/manifest';
import { normalizePrefix } from '../../sync/keys';
import { maskKey, runChecks, type CheckResult } from './checks';
import { readStackConfig, readStackCustomModels, type StackConfigSource, type StackCustomModel } from './stack-config';
import { WireLog } from './wire';

export const DOCTOR_USAGE = `Usage: pulumi-ark doctor [--bucket NAME] [--model-unit ID] [--wire FILE] [--json]
                         [--cwd DIR] [--stack NAME] [--no-stack]
       pulumi-ark doctor --upload-model-request DIR --bucket NAME --prefix PREFIX --name NAME
                         [--base NAME] [--base-ref NAME/VERSION|fm-ID] [--description TEXT]
                         [--project NAME] [--tag KEY=VALUE]...
                         [--owner PROJECT/STACK/RESOURCE] [--content-digest sha256:…] [--exclude GLOB]...
       pulumi-ark doctor --rolling-request ENDPOINT_ID --custom-model CUSTOM_MODEL_ID

Read-only checks of the Ark and TOS settings the provider would use: the stack config of the Pulumi project in
the current directory (read with \`pulumi config --json --show-secrets\`), else the environment variables of
docs/configuration.md, else the region defaults. It never creates or changes anything.

  --bucket NAME        also check that this TOS bucket exists and is in Ark's region
  --model-unit ID      also ask Ark (CreateEndpoint with DryRun) whether an endpoint could go on this unit
  --wire FILE          write every request and answer, credentials and signatures removed, to FILE
  --json               print the results as JSON
  --cwd DIR            the stack directory (default: the current directory)
  --stack NAME         the stack whose config to read (default: the selected one)
  --no-stack           ignore stack config; use only the environment

  --upload-model-request DIR   print the exact UploadModel body the CustomModel resource would send for the
                               model directory DIR uploaded by a TosModelDir to tos://BUCKET/PREFIX/ (no network)
  --base-ref REF               with --upload-model-request: the CustomModel's baseModelRef, as NAME/VERSION
                               (e.g. qwen3-8b/20250429) or a model card id fm-…
  --rolling-request ENDPOINT_ID print the exact CreateEndpointRolling body a ModelUnitEndpoint with
                               modelUpdate: rolling would send to switch ENDPOINT_ID to --custom-model (no network)

Exit codes: 0 every check passed, 1 a check failed, 2 usage error.
`;

export const DOCTOR_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export class DoctorUsageError extends Error {}

interface DoctorArgs {
  bucket?: string;
  modelUnit?: string;
  wire?: string;
  json: boolean;
  cwd: string;
  stack?: string;
  noStack: boolean;
  upload?: UploadArgs;
  rolling?: { endpointId: string; customModelId: string };
}

interface UploadArgs {
  dir: string;
  prefix?: string;
  name?: string;
  base?: string;
  baseRef?: string;
  description?: string;
  project?: string;
  tags: Record<string, string>;
  owner?: string;
  contentDigest?: string;
  exclude: string[];
}

export function parseDoctorArgs(args: readonly string[], cwd: string): DoctorArgs {
  const out: DoctorArgs = { json: false, cwd, noStack: false };
  let uploadDir: string | undefined;
  let rollingEndpoint: string | undefined;
  let rollingModel: string | undefined;
  const upload: Omit<UploadArgs, 'dir'> = { tags: {}, exclude: [] };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const eq = flag.indexOf('=');
    const name = flag.startsWith('--') && eq > 0 ? flag.slice(0, eq) : flag;
    const value = (): string => {
      if (eq > 0 && flag.startsWith('--')) return flag.slice(eq + 1);
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new DoctorUsageError(`${name}: expected a value, found ${v ?? 'the end of the arguments'}`);
      return v;
    };
    switch (name) {
      case '--json': out.json = true; break;
      case '--no-stack': out.noStack = true; break;
      case '--bucket': out.bucket = value(); break;
      case '--model-unit': out.modelUnit = value(); break;
      case '--wire': out.wire = path.resolve(cwd, value()); break;
      case '--cwd': out.cwd = path.resolve(cwd, value()); break;
      case '--stack': out.stack = value(); break;
      case '--upload-model-request': uploadDir = path.resolve(cwd, value()); break;
      case '--rolling-request': rollingEndpoint = value(); break;
      case '--custom-model': rollingModel = value(); break;
      case '--prefix': upload.prefix = value(); break;
      case '--name': upload.name = value(); break;
      case '--base': upload.base = value(); break;
      case '--base-ref': upload.baseRef = value(); break;
      case '--description': upload.description = value(); break;
      case '--project': upload.project = value(); break;
      case '--owner': upload.owner = value(); break;
      case '--content-digest': upload.contentDigest = value(); break;
      case '--exclude': upload.exclude.push(value()); break;
      case '--tag': {
        const pair = value();
        const at = pair.indexOf('=');
        if (at <= 0) throw new DoctorUsageError(`--tag: expected KEY=VALUE, found ${pair}`);
        upload.tags[pair.slice(0, at)] = pair.slice(at + 1);
        break;
      }
      default:
        throw new DoctorUsageError(`unknown option ${flag}`);
    }
  }
  if (rollingEndpoint !== undefined || rollingModel !== undefined) {
    if (rollingEndpoint === undefined) throw new DoctorUsageError('--custom-model only goes with --rolling-request');
    if (!ENDPOINT_ID_PATTERN.test(rollingEndpoint)) throw new DoctorUsageError(`--rolling-request: expected an endpoint id like ep-20240101000000-abcde, found ${rollingEndpoint}`);
    if (rollingModel === undefined) throw new DoctorUsageError('--rolling-request needs --custom-model (the model to switch to)');
    if (!CUSTOM_MODEL_ID_PATTERN.test(rollingModel)) throw new DoctorUsageError(`--custom-model: expected a custom model id like cm-20240101000000-abcde, found ${rollingModel}`);
    out.rolling = { endpointId: rollingEndpoint, customModelId: rollingModel };
  }
  const uploadOnly = ['prefix', 'name', 'base', 'baseRef', 'description', 'project', 'owner', 'contentDigest'] as const;
  if (uploadDir === undefined) {
    const stray = uploadOnly.find((k) => upload[k] !== undefined) ?? (Object.keys(upload.tags).length ? 'tag' : upload.exclude.length ? 'exclude' : undefined);
    if (stray) throw new DoctorUsageError(`--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} only goes with --upload-model-request`);
    return out;
  }
  if (!out.bucket) throw new DoctorUsageError('--upload-model-request needs --bucket');
  if (!upload.prefix) throw new DoctorUsageError('--upload-model-request needs --prefix');
  if (!upload.name) throw new DoctorUsageError('--upload-model-request needs --name (the CustomModel name input)');
  if (upload.baseRef !== undefined) baseModelRefInput(upload.baseRef);
  out.upload = { dir: uploadDir, ...upload };
  return out;
}

export interface DoctorIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export async function doctorCommand(argv: readonly string[], io: DoctorIo): Promise<number> {
  const args = parseDoctorArgs(argv, io.cwd);
  if (args.upload) return printUploadRequest(args, args.upload, io);
  if (args.rolling) {
    // The controller's own builder (provider/resources/model-unit-endpoint/rolling.ts sends exactly this).
    io.stdout.write(`${JSON.stringify(createRollingRequest(args.rolling.endpointId, args.rolling.customModelId), null, 2)}\n`);
    return DOCTOR_EXIT.ok;
  }

  const source: StackConfigSource = args.noStack
    ? { kind: 'none', why: '--no-stack' }
    : await readStackConfig({ dir: args.cwd, stack: args.stack, env: io.env });
  const results: CheckResult[] = [configCheck(source)];
  let settings: ProviderSettings | undefined;
  try {
    settings = resolveSettings(source.kind === 'stack' ? source.config : ({} as StackConfig), io.env);
    results.push(settingsCheck(settings));
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    results.push({ id: 'settings', title: 'settings resolve', status: 'fail', detail: error.message });
  }
  const stackModels = source.kind === 'stack' ? await readStackCustomModels({ dir: args.cwd, stack: args.stack, env: io.env }) : undefined;
  results.push(baseModelsCheck(stackModels));
  const wire = args.wire ? new WireLog() : undefined;
  if (settings) results.push(...(await runChecks({ settings, bucket: args.bucket, modelUnit: args.modelUnit, wire })));
  if (wire && args.wire) await wire.write(args.wire);

  const ok = results.every((r) => r.status !== 'fail');
  if (args.json) {
    io.stdout.write(`${JSON.stringify({ ok, settings: settings && publicSettings(settings), checks: results, wire: args.wire }, null, 2)}\n`);
  } else {
    io.stdout.write(formatResults(results, ok, args.wire));
  }
  return ok ? DOCTOR_EXIT.ok : DOCTOR_EXIT.failed;
}

function configCheck(source: StackConfigSource): CheckResult {
  const title = 'stack config read';
  if (source.kind === 'stack') {
    const keys = source.keys.length ? source.keys.join(', ') : 'no ark:* keys';
    return { id: 'stack-config', title, status: 'pass', detail: `${source.dir}: ${keys}` };
  }
  if (source.kind === 'failed') return { id: 'stack-config', title, status: 'fail', detail: `${source.why}; falling back to the environment (use --no-stack to skip the stack)` };
  return { id: 'stack-config', title, status: 'skip', detail: `not used: ${source.why}; the environment and region defaults apply` };
}

/**
 * The Ark reference each catalogue base imports against, with how sure the catalogue is of it, and the
 * references the stack's CustomModels name instead (`baseModelRef`, from the deployed state). Offline.
 */
export function baseModelsCheck(stackModels: StackCustomModel[] | undefined): CheckResult {
  const notes = BASE_MODELS.map((b) => `${b.id}: ${describeBaseRef(b.ark)} [${b.arkConfidence.label}] ${b.arkConfidence.source}`);
  for (const model of stackModels ?? []) {
    if (!model.baseModelRef) continue;
    const base = resolveBaseModel(model.baseModel ?? '');
    const ref = model.baseModelRef.id ?? `${model.baseModelRef.name}/${model.baseModelRef.modelVersion}`;
    const catalogue = base ? `the catalogue's ${describeBaseRef(base.ark)} for ${base.id}` : `the catalogue's reference for ${model.baseModel}`;
    notes.push(`stack CustomModel ${model.name}: baseModelRef ${ref} instead of ${catalogue}`);
  }
  const unverified = BASE_MODELS.filter((b) => b.arkConfidence.label !== 'C' && b.arkConfidence.label !== 'C-cli+3P').map((b) => b.id);
  return {
    id: 'base-models',
    title: 'base model references (UploadModel FoundationModel)',
    status: 'pass',
    detail:
      BASE_MODELS.map((b) => `${b.id} -> ${describeBaseRef(b.ark)} [${b.arkConfidence.label}]`).join('; ') +
      (unverified.length ? `. Inferred: ${unverified.join(', ')}; if your shared model card differs, set the CustomModel's baseModelRef` : ''),
    notes,
  };
}

function settingsCheck(s: ProviderSettings): CheckResult {
  const src = s.sources;
  return {
    id: 'settings',
    title: 'settings resolve',
    status: 'pass',
    detail: [
      `region ${s.region} (${src?.region})`,
      `Ark ${s.arkEndpoint} (${src?.arkEndpoint})`,
      `TOS ${tosEndpointUrl(s)} (${src?.tosEndpoint})`,
      `Chat ${s.chatBaseUrl} (${src?.chatBaseUrl})`,
      `credentials from ${src?.credentials}`,
    ].join('; '),
  };
}

/** Settings without the secret key. */
function publicSettings(s: ProviderSettings) {
  return {
    region: s.region,
    arkEndpoint: s.arkEndpoint,
    tosEndpoint: s.tosEndpoint,
    tosSecure: s.tosSecure,
    chatBaseUrl: s.chatBaseUrl,
    accessKeyId: maskKey(s.accessKeyId),
    sources: s.sources,
  };
}

const LABEL: Record<CheckResult['status'], string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

export function formatResults(results: readonly CheckResult[], ok: boolean, wire?: string): string {
  const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length;
  const lines = [`pulumi-ark doctor: ${ok ? 'OK' : 'PROBLEMS FOUND'} (${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped)`];
  for (const r of results) {
    lines.push(`  ${LABEL[r.status]}  ${r.title}`);
    lines.push(`        ${r.detail}`);
    for (const note of r.notes ?? []) lines.push(`        note: ${note}`);
  }
  if (wire) lines.push(`  wire log (credentials and signatures removed): ${wire}`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------- UploadModel

/**
 * The body the CustomModel resource would send, built by the same functions: the validator decides base and
 * quantization as TosModelDir reports them, the manifest gives the content digest, arkModelName the name.
 */
async function printUploadRequest(args: DoctorArgs, upload: UploadArgs, io: DoctorIo): Promise<number> {
  let files;
  try {
    files = await walkModelDir(upload.dir, { exclude: upload.exclude });
  } catch (error) {
    if (error instanceof ModelDirError) throw new DoctorUsageError(error.message);
    throw error;
  }
  const report = await validateModel(localModelSource(upload.dir, files), { baseModel: upload.base });
  const base = resolveBaseModel(upload.base ?? report.detected.baseModel ?? '');
  if (!report.ok || !base) {
    const reasons = report.errors.map((e) => `${e.code}: ${e.message}`).join('; ') || `no supported base (${supportedBaseList()})`;
    io.stderr.write(`pulumi-ark doctor: ${upload.dir} is not a model Ark can import: ${reasons}\n`);
    return DOCTOR_EXIT.failed;
  }
  const digest = upload.contentDigest ?? (await localContentDigest(upload.dir, upload.exclude));
  const prefix = normalizePrefix(upload.prefix!);
  const location = tosUri(args.bucket!, prefix);
  const quantization = report.detected.quantization;
  const owner = upload.owner ?? 'PROJECT/STACK/RESOURCE';
  const baseModelRef = upload.baseRef === undefined ? undefined : baseModelRefInput(upload.baseRef);
  const body = uploadModelRequest({
    modelName: arkModelName({ name: upload.name!, contentDigest: digest, baseModel: base.id, baseModelRef, quantization, location }),
    description: upload.description,
    projectName: upload.project,
    base: importBaseRef({ baseModelRef }, base),
    bucket: args.bucket!,
    prefix,
    quantization,
    tags: toApiTags(upload.tags, owner),
  });
  io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  if (!upload.owner) io.stderr.write('note: the owner tag says PROJECT/STACK/RESOURCE; pass --owner to see the value a stack would send\n');
  return DOCTOR_EXIT.ok;
}

/** `--base-ref` as the CustomModel's baseModelRef input: `fm-…`, or `NAME/VERSION`. */
function baseModelRefInput(text: string): NonNullable<CustomModelInputs['baseModelRef']> {
  if (text.startsWith('fm-')) {
    if (!FOUNDATION_MODEL_ID_PATTERN.test(text)) throw new DoctorUsageError(`--base-ref: ${text} is not a model card id like fm-…`);
    return { id: text };
  }
  const slash = text.lastIndexOf('/');
  if (slash <= 0 || slash === text.length - 1) throw new DoctorUsageError(`--base-ref: expected NAME/VERSION (e.g. qwen3-8b/20250429) or fm-…, found ${text}`);
  return { name: text.slice(0, slash), modelVersion: text.slice(slash + 1) };
}

/** TosModelDir.contentDigest of the directory, computed as the sync does (its stat cache kept in a temp dir). */
async function localContentDigest(dir: string, exclude: string[]): Promise<string> {
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'pulumi-ark-doctor-'));
  try {
    // Without `needsHash` the manifest fingerprints every file; the guard only narrows the type.
    const { files } = await buildManifest(dir, { exclude, cacheDir });
    if (!files.every(isHashed)) throw new Error(`${dir}: some files could not be fingerprinted`);
    return contentDigest(files);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}
