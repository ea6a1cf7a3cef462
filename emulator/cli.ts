import { resolve } from 'node:path';
import { DEFAULT_CREDENTIAL, type EmulatorCredential } from './options';
import { startArkLocal, type ArkLocal, type ArkLocalOptions } from './index';
import { DataDirInUseError } from './state/data-dir-lock';
import { formatTransitionPolicy, parseTransitionPolicy } from './state/transitions';

/**
 * `ark-local [--port 9000] [--data .ark-local | --memory] [--access-key AK --secret-key SK]
 *            [--api-key KEY] [--transitions after-seconds:20] [--region cn-beijing] [--host 127.0.0.1]`
 * Runs in the foreground until SIGINT/SIGTERM, then closes cleanly.
 */
export const USAGE = `Usage: ark-local [options]

  --port N               port to listen on (default 9000; 0 picks a free one)
  --host H               address to bind (default 127.0.0.1; admin routes are unauthenticated, keep it local)
  --data DIR             keep state in DIR (control-plane.json + TOS objects) (default .ark-local)
  --memory               keep state in memory only
  --access-key AK        access key the Ark and TOS signatures must use (default ${DEFAULT_CREDENTIAL.accessKeyId})
  --secret-key SK        its secret (required with --access-key)
  --api-key KEY          static Chat API key valid for every endpoint (default ark-local-api-key)
  --transitions P        immediate | after-reads:N | after-seconds:S (default after-seconds:20)
  --region R             region in signatures and responses (default cn-beijing)
  --variance             answer like a less predictable real service: unknown fields and statuses, absent
                         optional fields, no Result for empty actions (also PUT /_ark-local/variance)
  --unit-slots N         endpoints a model unit created without Slots can host (default 1, as Ark's units)
  --rolling              custom-model endpoints on model units can roll to another model (default: they
                         cannot, as Ark documents for uploaded models); a unit can also ask for it alone
  --custom-model-status-on-get
                         GetCustomModel answers carry Status (default: only ListCustomModels items do)
  --help                 this text
`;

export const CLI_DEFAULTS = { port: 9000, dataDir: '.ark-local', transitions: 'after-seconds:20' } as const;

export class CliUsageError extends Error {}

export function parseCliArgs(argv: readonly string[]): ArkLocalOptions | 'help' {
  const opts: ArkLocalOptions = { port: CLI_DEFAULTS.port, dataDir: CLI_DEFAULTS.dataDir, transitions: parseTransitionPolicy(CLI_DEFAULTS.transitions) };
  let accessKey: string | undefined;
  let secretKey: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new CliUsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--port': {
        const text = value();
        const port = Number(text);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliUsageError(`--port "${text}" is not a port number (0-65535)`);
        opts.port = port;
        break;
      }
      case '--host':
        opts.host = value();
        break;
      case '--data':
        opts.dataDir = resolve(value());
        break;
      case '--memory':
        delete opts.dataDir;
        break;
      case '--access-key':
        accessKey = value();
        break;
      case '--secret-key':
        secretKey = value();
        break;
      case '--api-key':
        opts.apiKeys = [value()];
        break;
      case '--transitions':
        try {
          opts.transitions = parseTransitionPolicy(value());
        } catch (err) {
          throw new CliUsageError((err as Error).message);
        }
        break;
      case '--region':
        opts.region = value();
        break;
      case '--variance':
        opts.variance = true;
        break;
      case '--unit-slots': {
        const text = value();
        const slots = Number(text);
        if (!Number.isInteger(slots) || slots < 1 || slots > 1000) throw new CliUsageError(`--unit-slots "${text}" is not a whole number from 1 to 1000`);
        opts.compat = { ...opts.compat, unitSlots: slots };
        break;
      }
      case '--rolling':
        opts.compat = { ...opts.compat, rolling: true };
        break;
      case '--custom-model-status-on-get':
        opts.compat = { ...opts.compat, customModelStatusOnGet: true };
        break;
      default:
        throw new CliUsageError(`unknown option "${flag}"`);
    }
  }
  if ((accessKey === undefined) !== (secretKey === undefined)) throw new CliUsageError('--access-key and --secret-key go together');
  if (accessKey !== undefined && secretKey !== undefined) opts.credentials = [{ accessKeyId: accessKey, secretAccessKey: secretKey } satisfies EmulatorCredential];
  if (opts.dataDir) opts.dataDir = resolve(opts.dataDir);
  return opts;
}

export type BannerFacts = Pick<ArkLocal, 'url' | 'tosEndpoint' | 'chatBaseUrl' | 'hubUrl' | 'hubToken' | 'apiKey' | 'credential' | 'region'>;

/**
 * What to paste where: the endpoints, the key, the stack config lines, and how to get a model unit. The secret
 * key is printed only when it is the built-in development key (public anyway, in the source); one given with
 * --secret-key is the user's own and stays off the terminal and out of CI logs.
 */
export function banner(ark: BannerFacts, opts: ArkLocalOptions): string {
  const builtIn = ark.credential.accessKeyId === DEFAULT_CREDENTIAL.accessKeyId && ark.credential.secretAccessKey === DEFAULT_CREDENTIAL.secretAccessKey;
  const secret = builtIn ? ark.credential.secretAccessKey : '<the key you gave with --secret-key>';
  return [
    `ark-local listening on ${ark.url}`,
    `  state:           ${opts.dataDir ? opts.dataDir : 'in memory'}`,
    `  transitions:     ${formatTransitionPolicy(opts.transitions!)}${opts.variance ? '   (variance mode on)' : ''}`,
    `  Ark endpoint:    ${ark.url}   (POST /?Action=…&Version=2024-01-01)`,
    `  TOS endpoint:    ${ark.tosEndpoint}   (plain HTTP, path-style)`,
    `  Chat base URL:   ${ark.chatBaseUrl}   (Authorization: Bearer ${ark.apiKey})`,
    `  Hub URL:         ${ark.hubUrl}   (Hugging Face–compatible; token ${ark.hubToken}, the built-in one)`,
    `  Admin:           ${ark.url}/_ark-local/   (unauthenticated, local only; GET it for the list of routes)`,
    `  Access key:      ${ark.credential.accessKeyId}${builtIn ? '   (the built-in development key)' : '   (from --access-key)'}`,
    `  Secret key:      ${builtIn ? ark.credential.secretAccessKey : 'from --secret-key, not printed'}`,
    `  Region:          ${ark.region}`,
    '',
    'Configure a stack:',
    `  pulumi config set ark:endpoint ${ark.url}`,
    `  pulumi config set ark:tosEndpoint ${ark.tosEndpoint}`,
    `  pulumi config set ark:chatBaseUrl ${ark.chatBaseUrl}`,
    `  pulumi config set ark:region ${ark.region}`,
    `  pulumi config set --secret ark:accessKey ${ark.credential.accessKeyId}`,
    `  pulumi config set --secret ark:secretKey ${secret}`,
    '',
    'Deploy hf:// sources from its hub (the environment works for every program; publish repos through the admin routes):',
    `  export HF_ENDPOINT=${ark.hubUrl} HF_TOKEN=${ark.hubToken}`,
    '',
    'Create a model unit (on real Ark you buy one in the console), then use the Id it answers with:',
    `  curl -s -X POST ${ark.url}/_ark-local/model-units -H 'content-type: application/json' -d '{"Name":"dev"}'`,
    '  pulumi config set modelUnitId mu-…',
    '',
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<void> {
  let opts: ArkLocalOptions | 'help';
  try {
    opts = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof CliUsageError)) throw err;
    process.stderr.write(`ark-local: ${err.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (opts === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const ark = await startArkLocal(opts);
  process.stdout.write(banner(ark, opts));
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    process.stdout.write(`\nark-local: ${signal}, shutting down\n`);
    ark.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`ark-local: shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** The entry point of bin/ark-local.js (and `node dist/emulator/cli.js`): runs main, reports start-up failures. */
export function run(argv: readonly string[]): void {
  main(argv).catch((err: unknown) => {
    // Expected start-up failures get their message alone; anything else keeps its stack for a bug report.
    if (err instanceof DataDirInUseError) process.stderr.write(`${err.message}\n`);
    else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') process.stderr.write(`ark-local: ${(err as Error).message}; pick another --port\n`);
    else process.stderr.write(`ark-local: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

if (require.main === module) run(process.argv.slice(2));
