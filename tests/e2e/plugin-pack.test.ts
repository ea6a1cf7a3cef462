/**
 * The archives `npm run plugin:pack` builds, one per platform, are laid out as `pulumi plugin install resource
 * ark <v> -f <archive>` and the engine's download expect (the launcher at the root, beside the JavaScript it
 * runs), their checksums verify, and the one for this machine installs and serves a program from the plugin
 * cache, outside this repository, on the node_modules it carries.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { openExample, outsideTempDir, requireBuiltPackage, type ExampleRun } from './cli-harness';
import { hostPlatform, packPlugin, PLATFORMS, VERSION, type PluginArchives } from './installed';

jest.setTimeout(600_000);

const ROOT_ENTRIES = ['dist/', 'node_modules/', 'package.json', 'pulumi-resource-ark', 'require-built.js', 'schema.json'];

let packed: PluginArchives;

beforeAll(() => {
  requireBuiltPackage('dist/provider/native/main.js', 'the archives carry it');
  packed = packPlugin(PLATFORMS);
});

afterAll(() => packed?.remove());

/** The archive's entries (`tar -tzf`). */
function listing(archive: string): Set<string> {
  return new Set(execFileSync('tar', ['-tzf', archive], { encoding: 'utf8', maxBuffer: 1 << 28 }).trim().split('\n'));
}

test.each(PLATFORMS)('the %s archive holds the launcher at its root beside the JavaScript it runs', (platform) => {
  const archive = packed.archives[platform]!;
  expect(path.basename(archive)).toBe(`pulumi-resource-ark-v${VERSION}-${platform}.tar.gz`);
  const entries = listing(archive);
  const roots = [...entries.keys()].filter((name) => !name.replace(/\/$/, '').includes('/')).sort();
  const windows = platform.startsWith('windows-');
  expect(roots).toEqual([...ROOT_ENTRIES, ...(windows ? ['pulumi-resource-ark.cmd'] : [])].sort());
  expect(execFileSync('tar', ['-tvzf', archive, 'pulumi-resource-ark'], { encoding: 'utf8' })).toMatch(/^-rwxr-xr-x /);
  for (const file of ['dist/provider/native/main.js', 'node_modules/@grpc/grpc-js/package.json', 'node_modules/@pulumi/pulumi/package.json']) {
    expect(entries.has(file)).toBe(true);
  }
  // No dev dependencies (typescript is one of @pulumi/pulumi's own) and nothing of the repository's tests or scripts.
  expect([...entries.keys()].filter((name) => /^node_modules\/(jest|ts-jest|openai)\/|^dist\/(tests|scripts)\//.test(name))).toEqual([]);

  // The launchers are bin/'s files as they are, so they cannot drift apart.
  const launchers = ['pulumi-resource-ark', 'require-built.js', ...(windows ? ['pulumi-resource-ark.cmd'] : [])];
  for (const file of launchers) {
    expect(execFileSync('tar', ['-xzOf', archive, file])).toEqual(fs.readFileSync(path.join(REPO_ROOT, 'bin', file)));
  }
});

test('the Windows launcher runs the plugin script beside it with node', () => {
  // The engine on Windows starts <plugin dir>\pulumi-resource-ark.cmd (it tries .exe, then .cmd).
  const cmd = fs.readFileSync(path.join(REPO_ROOT, 'bin', 'pulumi-resource-ark.cmd'), 'utf8');
  expect(cmd).toMatch(/^node "%~dp0pulumi-resource-ark" %\*\r$/m);
  expect(cmd.split('\n').slice(0, -1).every((line) => line.endsWith('\r'))).toBe(true);
});

test('the checksum file verifies every archive and names nothing else', () => {
  expect(path.basename(packed.checksums)).toBe(`pulumi-resource-ark-v${VERSION}-checksums.txt`);
  const lines = fs.readFileSync(packed.checksums, 'utf8').trim().split('\n');
  expect(lines.map((line) => line.split(/\s+/)[1]).sort()).toEqual(PLATFORMS.map((p) => `pulumi-resource-ark-v${VERSION}-${p}.tar.gz`).sort());
  expect(() => execFileSync('sha256sum', ['--check', '--strict', path.basename(packed.checksums)], { cwd: packed.dir, stdio: 'pipe' })).not.toThrow();
});

describe('installed with `pulumi plugin install`', () => {
  let ark: ArkLocal;
  let run: ExampleRun;
  let project: string;

  beforeAll(async () => {
    ark = await startArkLocal({ quiet: true });
    project = outsideTempDir('plugin-pack-project');
    fs.writeFileSync(
      path.join(project, 'Pulumi.yaml'),
      [
        'name: ark-installed',
        'runtime: yaml',
        'resources:',
        '  chat:',
        '    type: ark:index:ModelUnitEndpoint',
        '    properties: { name: bot, customModelId: cm-20240101000000-abcde, modelUnitId: unit 7 }',
        '',
      ].join('\n'),
    );
    run = await openExample({ example: project, name: 'plugin-pack', outside: true, ark: { ark, credential: ark.credential, via: 'env' } });
  });

  afterAll(async () => {
    await run?.close();
    await ark?.close();
    if (project) fs.rmSync(project, { recursive: true, force: true });
  });

  test('the archive for this machine serves a program from the plugin cache', async () => {
    await run.pulumiOk(['plugin', 'install', 'resource', 'ark', VERSION, '-f', packed.archives[hostPlatform()]!]);
    const installed = path.join(run.stateDir, 'home', 'plugins', `resource-ark-v${VERSION}`, 'pulumi-resource-ark');
    expect(fs.statSync(installed).mode & 0o111).not.toBe(0);

    await run.pulumiOk(['stack', 'init', 'e2e-installed']);
    // The plugin answers Check: its property failure for the bad model unit id comes back as one line.
    const preview = await run.pulumi(['preview']);
    expect(preview.code).not.toBe(0);
    expect(preview.stdout).toMatch(/ModelUnitEndpoint resource 'chat': property modelUnitId value \{unit 7\} has a problem: must be a model unit id \(letters, digits, - _ \.\)/);
  });
});
