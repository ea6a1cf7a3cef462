import { ModelDirError, walkModelDir } from '../model/walk';
import { localModelSource } from '../model/source';
import { validateModel } from '../model/validate';
import type { ModelReport } from '../model/report';
import { supportedBaseList } from '../model/catalogue';
import { TosStorage } from '../clients/tos/client';
import { resolveSource, SourceUnusableError } from '../resources/tos-model-dir/remote-source';
import { resolveSettings, SettingsError } from '../settings';
import { parseModelSource } from '../sources/source-uri';
import { DOCTOR_USAGE, DoctorUsageError, doctorCommand } from './doctor/command';
import { formatReport } from './format';

// `pulumi-ark validate DIR [--base NAME] [--json]`: the model validator as a command, so users can check a
// directory before `pulumi up`. Exit codes: 0 valid, 1 invalid, 2 usage error.
// `pulumi-ark doctor …`: read-only checks of the Ark/TOS settings (provider/cli/doctor/), same exit codes.

export const EXIT_VALID = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** For doctor: the environment and directory it reads settings from (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const USAGE = `Usage: pulumi-ark validate DIR|tos://BUCKET/PREFIX/|hf://OWNER/NAME[@REVISION] [--base NAME] [--json]
                           [--exclude GLOB]... [--include-hidden]
       pulumi-ark doctor [--bucket NAME] [--model-unit ID] [--wire FILE] [--json]   (pulumi-ark doctor --help)

Checks that DIR is a Hugging Face model directory Ark can import: a supported base (${supportedBaseList()})
or a full-weight fine-tune of one, unquantized or W8A8 / W8A8_FP8 / W4A8. Reads only JSON files and
safetensors headers: of a TOS prefix or a hub revision through ranged reads, with the credentials, endpoints
and hub token of the environment (docs/configuration.md), as TosModelDir's check does.

  --base NAME       the base you will declare (catalogue id or HF id, e.g. Qwen/Qwen2.5-7B); must match the files
  --json            print the report as JSON
  --exclude GLOB    skip matching files, as the upload would (repeatable; e.g. 'checkpoints/**', '*.md')
  --include-hidden  include dot-files

Exit codes: 0 valid, 1 invalid, 2 usage error.
`;

interface ValidateArgs {
  dir: string;
  base?: string;
  json: boolean;
  exclude: string[];
  includeHidden: boolean;
}

class UsageError extends Error {}

function parseValidateArgs(args: string[]): ValidateArgs {
  const out: ValidateArgs = { dir: '', json: false, exclude: [], includeHidden: false };
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (flag: string): string => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag}: expected a value, found ${v === undefined ? 'the end of the arguments' : v}`);
      return v;
    };
    if (a === '--json') out.json = true;
    else if (a === '--include-hidden') out.includeHidden = true;
    else if (a === '--base' || a.startsWith('--base=')) out.base = value('--base');
    else if (a === '--exclude' || a.startsWith('--exclude=')) out.exclude.push(value('--exclude'));
    else if (a.startsWith('-')) throw new UsageError(`expected one of --base, --json, --exclude, --include-hidden, found unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 1) throw new UsageError(`expected exactly one DIR, found ${positional.length === 0 ? 'none' : positional.join(' ')}`);
  out.dir = positional[0];
  return out;
}

async function validateCommand(args: ValidateArgs, io: CliIo): Promise<number> {
  const spec = parseModelSource(args.dir);
  if ('error' in spec) throw new UsageError(spec.error);
  if (spec.kind !== 'local') return validateRemote(spec, args, io);
  let report: ModelReport;
  try {
    const files = await walkModelDir(args.dir, { exclude: args.exclude, includeHidden: args.includeHidden });
    report = await validateModel(localModelSource(args.dir, files), { baseModel: args.base });
  } catch (e) {
    if (!(e instanceof ModelDirError)) throw e;
    // A missing directory is a usage mistake; a symlink leaving it or a FIFO inside makes the directory invalid.
    if (e.code === 'NotFound' || e.code === 'NotADirectory') {
      io.stderr.write(`pulumi-ark validate: ${e.message}\n`);
      return EXIT_USAGE;
    }
    report = { ok: false, errors: [{ code: e.code, file: e.path, message: e.message }], warnings: [], detected: { quantization: null } };
  }
  io.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(args.dir, report));
  return report.ok ? EXIT_VALID : EXIT_INVALID;
}

/** A tos:// or hf:// source, resolved and validated as TosModelDir's check would, with the environment's settings. */
async function validateRemote(spec: Exclude<ReturnType<typeof parseModelSource>, { error: string } | { kind: 'local' }>, args: ValidateArgs, io: CliIo): Promise<number> {
  let settings;
  try {
    settings = resolveSettings({}, io.env ?? process.env);
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    io.stderr.write(`pulumi-ark validate: ${e.message}\n`);
    return EXIT_USAGE;
  }
  const quiet = { info: () => undefined, warn: () => undefined };
  let resolved;
  try {
    resolved = await resolveSource(spec, args.exclude, new TosStorage(settings), { settings: () => settings, log: quiet });
  } catch (e) {
    if (!(e instanceof SourceUnusableError)) throw e;
    io.stderr.write(`pulumi-ark validate: ${e.message}\n`);
    return EXIT_INVALID;
  }
  const report = await validateModel(resolved.fileSource, { baseModel: args.base });
  io.stdout.write(args.json ? `${JSON.stringify({ ...report, source: resolved.describe, version: resolved.version }, null, 2)}\n` : `${formatReport(resolved.describe, report)}version ${resolved.version}\n`);
  return report.ok ? EXIT_VALID : EXIT_INVALID;
}

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout).write(USAGE);
    return command === undefined ? EXIT_USAGE : EXIT_VALID;
  }
  if (command === 'doctor') return doctor(rest, io);
  if (command !== 'validate') {
    io.stderr.write(`pulumi-ark: expected the command "validate" or "doctor", found "${command}"\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(USAGE);
    return EXIT_VALID;
  }
  try {
    return await validateCommand(parseValidateArgs(rest), io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`pulumi-ark validate: ${e.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

async function doctor(args: string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(DOCTOR_USAGE);
    return EXIT_VALID;
  }
  try {
    return await doctorCommand(args, { stdout: io.stdout, stderr: io.stderr, env: io.env ?? process.env, cwd: io.cwd ?? process.cwd() });
  } catch (e) {
    if (e instanceof DoctorUsageError) {
      io.stderr.write(`pulumi-ark doctor: ${e.message}\n\n${DOCTOR_USAGE}`);
      return EXIT_USAGE;
    }
    throw e;
  }
}
