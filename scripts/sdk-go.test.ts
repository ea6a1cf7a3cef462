import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GO_MODULE, PLUGIN_DOWNLOAD_URL } from './gen-schema';

/**
 * sdk/go is generated from schema.json (`npm run sdk:go`, which needs the Go language host
 * `pulumi-language-go` beside the CLI) and committed, with the hand-written module file sdk/go.mod. With the
 * host at hand the SDK is generated afresh and compared file by file; without it, every resource input of
 * schema.json must still be an argument of the committed SDK, which must carry the schema's version and
 * download location.
 */
const ROOT = path.resolve(__dirname, '..');
const SDK = path.join(ROOT, 'sdk', 'go');
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema.json'), 'utf8')) as {
  version: string;
  resources: Record<string, { inputProperties: Record<string, unknown> }>;
};

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
const camel = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** The CLI and a PATH holding the Go language host (the e2e tool path, or a `pulumi` install on PATH). */
function pulumiWithGoHost(): { bin: string; path: string } | undefined {
  const dirs = [process.env.PULUMI_ARK_TOOL_PATH, process.env.PATH].filter(Boolean).join(path.delimiter);
  const find = (name: string) => dirs.split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name)).find((file) => fs.existsSync(file));
  const root = process.env.PULUMI_ARK_CLI_ROOT;
  const bin = root && fs.existsSync(path.join(root, 'bin', 'pulumi')) ? path.join(root, 'bin', 'pulumi') : find('pulumi');
  return bin && find('pulumi-language-go') ? { bin, path: dirs } : undefined;
}

describe('sdk/go', () => {
  it('has every resource input of schema.json as an argument, at the schema version and download location', () => {
    for (const [token, resource] of Object.entries(schema.resources)) {
      const kind = token.split(':')[2]!;
      const code = fs.readFileSync(path.join(SDK, 'ark', `${camel(kind)}.go`), 'utf8');
      for (const input of Object.keys(resource.inputProperties)) expect(code).toMatch(new RegExp(`^\\s+${pascal(input)} +(pulumi\\.)?\\w+Input\\b`, 'm'));
    }
    const plugin = JSON.parse(fs.readFileSync(path.join(SDK, 'ark', 'pulumi-plugin.json'), 'utf8'));
    expect(plugin).toEqual({ resource: true, name: 'ark', version: schema.version, server: PLUGIN_DOWNLOAD_URL });
    expect(fs.readFileSync(path.join(ROOT, 'sdk', 'go.mod'), 'utf8')).toMatch(new RegExp(`^module ${GO_MODULE}$`, 'm'));
  });

  const cli = pulumiWithGoHost();
  (cli ? it : it.skip)('is what `pulumi package gen-sdk schema.json --language go` generates now (run `npm run sdk:go`)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-go-'));
    try {
      execFileSync(cli!.bin, ['package', 'gen-sdk', path.join(ROOT, 'schema.json'), '--language', 'go', '-o', out], {
        env: { ...process.env, PATH: cli!.path, PULUMI_HOME: path.join(out, 'home'), PULUMI_SKIP_UPDATE_CHECK: 'true' },
        stdio: 'pipe',
      });
      const fresh = path.join(out, 'go');
      expect(files(SDK)).toEqual(files(fresh));
      for (const file of files(fresh)) {
        expect([file, fs.readFileSync(path.join(SDK, file), 'utf8')]).toEqual([file, fs.readFileSync(path.join(fresh, file), 'utf8')]);
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
