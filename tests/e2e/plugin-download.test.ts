/**
 * examples/yaml as a user's project outside the repository (no `plugins:` block; each resource names the plugin
 * version and schema.json's pluginDownloadURL, as YAML programs name providers that are not Pulumi's), with a
 * clean PULUMI_HOME, getting the plugin the two ways users do, then up / no-op preview / destroy on ark-local:
 * - the engine downloads it by itself: the release download location is redirected, the supported way
 *   (PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES), to the archives served on 127.0.0.1;
 * - `pulumi plugin install resource ark <version> -f <archive>` into another clean PULUMI_HOME, with
 *   automatic plugin downloads off.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PLUGIN_DOWNLOAD_URL } from '../../scripts/gen-schema';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { inventory } from './ark-inventory';
import { outsideTempDir } from './cli-harness';
import { startExampleStack, type ExampleStack } from './example-stack';
import { copyExampleOutside, downloadFrom, hostPlatform, VERSION, withPluginOptions, servePluginRelease, type PluginRelease } from './installed';

jest.setTimeout(900_000);

const ARCHIVE = `pulumi-resource-ark-v${VERSION}-${hostPlatform()}.tar.gz`;

let server: PluginRelease;
let project: string;
let f: ExampleStack;

beforeAll(async () => {
  server = await servePluginRelease();
  project = copyExampleOutside('yaml', 'plugin-download-yaml');
  const program = path.join(project, 'Pulumi.yaml');
  fs.writeFileSync(program, withPluginOptions(fs.readFileSync(program, 'utf8'), VERSION, PLUGIN_DOWNLOAD_URL));
  f = await startExampleStack({ example: project, name: 'plugin-download', outside: true });
});

afterAll(async () => {
  await f?.close();
  await server?.close();
  if (project) fs.rmSync(project, { recursive: true, force: true });
});

/**
 * up, a preview that changes nothing, destroy (the stack named: the selected one is PULUMI_HOME's); the
 * stack's resources exist in between and are gone after.
 */
async function upPreviewDestroy(env: Record<string, string>): Promise<void> {
  const stack = ['--stack', f.stack];
  const up = await f.run.pulumiOk(['up', '--yes', ...stack], { env });
  expect(up.stdout).toMatch(/\+ 4 created/);
  expect((await inventory(f.ark)).endpoints).toEqual([expect.stringMatching(/^ep-\S+ Running$/)]);
  await f.run.pulumiOk(['preview', '--expect-no-changes', ...stack], { env });
  await f.run.pulumiOk(['destroy', '--yes', ...stack], { env });
  expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
}

test('the program lives outside the repository and names no plugin path', () => {
  expect(project.startsWith(REPO_ROOT + path.sep)).toBe(false);
  expect(fs.readFileSync(path.join(project, 'Pulumi.yaml'), 'utf8')).not.toMatch(/^plugins:/m);
});

test('the engine downloads the plugin from pluginDownloadURL by itself', async () => {
  const home = path.join(f.run.stateDir, 'home');
  expect(fs.existsSync(path.join(home, 'plugins'))).toBe(false);
  // The release location as users redirect it to a mirror: `<regexp>=<url>`, matched against the schema's URL.
  await upPreviewDestroy(downloadFrom(server, PLUGIN_DOWNLOAD_URL));
  expect(server.requests).toEqual([`/${ARCHIVE}`]);
  expect(fs.statSync(path.join(home, 'plugins', `resource-ark-v${VERSION}`, 'pulumi-resource-ark')).mode & 0o111).not.toBe(0);
});

test('`pulumi plugin install -f <archive>` installs it, and the engine downloads nothing', async () => {
  const home = outsideTempDir('plugin-install-home');
  try {
    const env = { PULUMI_HOME: home };
    await f.run.pulumiOk(['plugin', 'install', 'resource', 'ark', VERSION, '-f', path.join(server.dir, ARCHIVE)], { env });
    const requests = server.requests.length;
    await upPreviewDestroy(env);
    expect(server.requests.length).toBe(requests);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
