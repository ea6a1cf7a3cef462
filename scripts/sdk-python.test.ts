import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * sdk/python is generated from schema.json (`npm run sdk:python`) and committed. With the Pulumi CLI at hand
 * (the e2e setup's, or one on the PATH) the SDK is generated afresh and compared file by file; without it,
 * every resource input of schema.json must still be an argument of the committed SDK, at the schema's version.
 */
const ROOT = path.resolve(__dirname, '..');
const SDK = path.join(ROOT, 'sdk', 'python');
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema.json'), 'utf8')) as {
  version: string;
  resources: Record<string, { inputProperties: Record<string, unknown> }>;
};

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/^_/, '');

/** The generated files (pip's build/ and *.egg-info are not). */
function generatedFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const rel = path.relative(dir, path.join(entry.parentPath, entry.name));
    if (entry.isFile() && !/^build\/|\.egg-info\/|__pycache__\//.test(rel)) out.push(rel);
  }
  return out.sort();
}

/**
 * The CLI and the PATH its language hosts are on: what `.ci/run` exports from `scripts/pulumi-cli.sh --env`,
 * else a `pulumi` on the PATH (a normal install has its hosts beside it).
 */
function pulumiCli(): { bin: string; path: string } | undefined {
  const inherited = process.env.PATH ?? '';
  const root = process.env.PULUMI_ARK_CLI_ROOT;
  if (root && fs.existsSync(path.join(root, 'bin', 'pulumi'))) {
    return { bin: path.join(root, 'bin', 'pulumi'), path: [process.env.PULUMI_ARK_TOOL_PATH, inherited].filter(Boolean).join(path.delimiter) };
  }
  const onPath = inherited.split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'pulumi')).find((file) => fs.existsSync(file));
  return onPath ? { bin: onPath, path: inherited } : undefined;
}

describe('sdk/python', () => {
  it('has every resource input of schema.json as an argument, at the schema version', () => {
    for (const [token, resource] of Object.entries(schema.resources)) {
      const file = path.join(SDK, 'pulumi_ark', `${snake(token.split(':')[2]!)}.py`);
      const code = fs.readFileSync(file, 'utf8');
      for (const input of Object.keys(resource.inputProperties)) expect(code).toContain(`${snake(input)}: pulumi.Input[`);
    }
    expect(fs.readFileSync(path.join(SDK, 'setup.py'), 'utf8')).toContain(`VERSION = "${schema.version}"`);
  });

  const cli = pulumiCli();
  (cli ? it : it.skip)('is what `pulumi package gen-sdk schema.json --language python` generates now (run `npm run sdk:python`)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-python-'));
    try {
      execFileSync(cli!.bin, ['package', 'gen-sdk', path.join(ROOT, 'schema.json'), '--language', 'python', '-o', out], {
        env: { ...process.env, PATH: cli!.path, PULUMI_HOME: path.join(out, 'home'), PULUMI_SKIP_UPDATE_CHECK: 'true' },
        stdio: 'pipe',
      });
      const fresh = path.join(out, 'python');
      expect(generatedFiles(SDK)).toEqual(generatedFiles(fresh));
      for (const file of generatedFiles(fresh)) {
        expect([file, fs.readFileSync(path.join(SDK, file), 'utf8')]).toEqual([file, fs.readFileSync(path.join(fresh, file), 'utf8')]);
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
