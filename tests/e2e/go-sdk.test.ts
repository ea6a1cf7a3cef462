/**
 * The Go SDK as Go users get it: a copy of examples/go (its own go.mod, no `plugins:` block) in a directory
 * outside the repository, requiring github.com/pulumi-ark/pulumi-ark/sdk, which resolves to a copy of this
 * repository's sdk/ module made there (the stand-in for the release's module tag sdk/v<version>), with a clean
 * PULUMI_HOME. The Go language host builds and runs it; the SDK names the plugin version and schema.json's
 * pluginDownloadURL, and the engine downloads the archive by itself (redirected to 127.0.0.1). Then up, a no-op
 * preview and destroy against ark-local.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PLUGIN_DOWNLOAD_URL } from '../../scripts/gen-schema';
import { ensurePulumiTools, REPO_ROOT } from '../../scripts/pulumi-workspace';
import { inventory } from './ark-inventory';
import { outsideTempDir } from './cli-harness';
import { startExampleStack, type ExampleStack } from './example-stack';
import { downloadFrom, hostPlatform, VERSION, servePluginRelease, type PluginRelease } from './installed';

jest.setTimeout(1_200_000);

let server: PluginRelease;
let workspace: string;
let f: ExampleStack;

/**
 * The directory holding `pulumi-language-go`: the CLI's tool path (scripts/pulumi-cli.sh --env builds it with the
 * other hosts) or PATH (a normal Pulumi install ships it).
 */
async function goHostDir(): Promise<string> {
  const tools = await ensurePulumiTools();
  const dirs = [...tools.path, ...(process.env.PATH ?? '').split(path.delimiter)].filter(Boolean);
  const found = dirs.find((dir) => fs.existsSync(path.join(dir, 'pulumi-language-go')));
  if (!found) throw new Error('pulumi-language-go is neither on the CLI tool path nor on PATH: run `bash scripts/pulumi-cli.sh --env`, or install Pulumi');
  return found;
}

beforeAll(async () => {
  const hostDir = await goHostDir();
  server = await servePluginRelease();

  // The SDK module and the program side by side outside the repository; the program's replace points at the copy.
  workspace = outsideTempDir('go-sdk');
  const sdk = path.join(workspace, 'sdk');
  fs.mkdirSync(sdk);
  for (const entry of ['go', 'go.mod', 'go.sum']) fs.cpSync(path.join(REPO_ROOT, 'sdk', entry), path.join(sdk, entry), { recursive: true });
  const project = path.join(workspace, 'program');
  fs.cpSync(path.join(REPO_ROOT, 'examples', 'go'), project, { recursive: true });
  const goMod = path.join(project, 'go.mod');
  const replaced = fs.readFileSync(goMod, 'utf8').replace(/^replace github\.com\/pulumi-ark\/pulumi-ark\/sdk => .*$/m, 'replace github.com/pulumi-ark/pulumi-ark/sdk => ../sdk');
  if (!replaced.includes('=> ../sdk')) throw new Error('examples/go/go.mod has no replace line for the SDK');
  fs.writeFileSync(goMod, replaced);

  f = await startExampleStack({
    example: project,
    name: 'go-sdk',
    outside: true,
    runOptions: (run) => ({
      env: {
        PATH: `${hostDir}${path.delimiter}${run.env.PATH}`,
        ...downloadFrom(server, PLUGIN_DOWNLOAD_URL),
      },
    }),
  });
});

afterAll(async () => {
  await f?.close();
  await server?.close();
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
});

test('up builds the program and downloads the plugin the SDK names; a second preview changes nothing; destroy leaves ark-local empty', async () => {
  expect(f.run.dir.startsWith(REPO_ROOT + path.sep)).toBe(false);
  const up = await f.pulumiOk(['up', '--yes']);
  expect(up.stdout).toMatch(/\+ 4 created/);
  expect(server.requests).toEqual([`/pulumi-resource-ark-v${VERSION}-${hostPlatform()}.tar.gz`]);
  expect((await inventory(f.ark)).endpoints).toEqual([expect.stringMatching(/^ep-\S+ Running$/)]);
  expect((await f.outputs()).endpointStatus).toBe('Running');
  await f.pulumiOk(['preview', '--expect-no-changes']);
  await f.pulumiOk(['destroy', '--yes']);
  expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
});
