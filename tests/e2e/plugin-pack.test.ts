/**
 * The archive `npm run plugin:pack` builds is what `pulumi plugin install resource ark <v> -f <archive>`
 * accepts, and the installed plugin serves a YAML program that names no plugin path: it runs from the plugin
 * cache, outside this repository, on the node_modules it carries.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { openExample, repoTempDir, type ExampleRun } from './cli-harness';

jest.setTimeout(600_000);

const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

let ark: ArkLocal;
let run: ExampleRun;
let project: string;

beforeAll(async () => {
  ark = await startArkLocal({ quiet: true });
  project = repoTempDir('plugin-pack-project');
  fs.writeFileSync(
    path.join(project, 'Pulumi.yaml'),
    [
      'name: ark-installed',
      'runtime: yaml',
      'resources:',
      '  chat:',
      '    type: ark:index:ModelUnitEndpoint',
      '    properties: { name: bot, customModelId: cm-20240101000000-abcde, modelUnitId: unit-7 }',
      '',
    ].join('\n'),
  );
  run = await openExample({ example: project, name: 'plugin-pack', ark: { ark, credential: ark.credential, via: 'env' } });
});

afterAll(async () => {
  await run?.close();
  await ark?.close();
  fs.rmSync(project, { recursive: true, force: true });
});

test('the packed plugin installs with `pulumi plugin install` and serves a program from the plugin cache', async () => {
  const archive = execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'plugin-pack.sh')], { encoding: 'utf8' }).trim();
  expect(path.basename(archive)).toBe(`pulumi-resource-ark-v${version}-linux-amd64.tar.gz`);

  await run.pulumiOk(['plugin', 'install', 'resource', 'ark', version, '-f', archive]);
  const installed = path.join(run.stateDir, 'home', 'plugins', `resource-ark-v${version}`, 'pulumi-resource-ark');
  expect(fs.statSync(installed).mode & 0o111).not.toBe(0);
  // The archive carries bin/'s launcher and its loader as they are, so the two cannot drift apart.
  for (const file of ['pulumi-resource-ark', 'require-built.js']) {
    expect(fs.readFileSync(path.join(path.dirname(installed), file), 'utf8')).toBe(fs.readFileSync(path.join(REPO_ROOT, 'bin', file), 'utf8'));
  }

  await run.pulumiOk(['stack', 'init', 'e2e-installed']);
  // The plugin answers Check: its property failure for the bad model unit id comes back as one line.
  const preview = await run.pulumi(['preview']);
  expect(preview.code).not.toBe(0);
  expect(preview.stdout).toMatch(/ModelUnitEndpoint resource 'chat': property modelUnitId value \{unit-7\} has a problem: must be a model unit id like mu-/);
});
