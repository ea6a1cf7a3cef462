/**
 * The Python SDK as users install it: the wheel scripts/sdk-python-dist.sh builds, pip-installed into a
 * virtualenv outside the repository, running a copy of examples/python's program (no `plugins:` block, no
 * path into the repository) with a clean PULUMI_HOME. The plugin comes the way the SDK asks for it: its
 * pulumi-plugin.json names the version and schema.json's pluginDownloadURL, and the engine downloads the
 * archive by itself (the release location redirected to 127.0.0.1 with PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES).
 * Then up, a no-op preview and destroy against ark-local.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PLUGIN_DOWNLOAD_URL } from '../../scripts/gen-schema';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { inventory } from './ark-inventory';
import { outsideTempDir } from './cli-harness';
import { startExampleStack, type ExampleStack } from './example-stack';
import { virtualenv } from './plugin-harness';
import { copyExampleOutside, downloadFrom, hostPlatform, VERSION, servePluginRelease, type PluginRelease } from './installed';

jest.setTimeout(900_000);

let server: PluginRelease;
let dists: string;
let wheel: string;
let project: string;
let f: ExampleStack;

beforeAll(async () => {
  server = await servePluginRelease();
  dists = outsideTempDir('python-dists');
  [wheel] = execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'sdk-python-dist.sh'), '--out', dists], { encoding: 'utf8' }).trim().split('\n');
  project = copyExampleOutside('python', 'python-wheel');
  f = await startExampleStack({
    example: project,
    name: 'python-wheel',
    outside: true,
    runOptions: (run) => ({
      env: {
        PATH: `${virtualenv(run, [wheel!], project)}${path.delimiter}${run.env.PATH}`,
        ...downloadFrom(server, PLUGIN_DOWNLOAD_URL),
      },
    }),
  });
});

afterAll(async () => {
  await f?.close();
  await server?.close();
  for (const dir of [dists, project]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the wheel is version-locked to the plugin and installs from outside the repository', () => {
  expect(path.basename(wheel!)).toBe(`pulumi_ark-${VERSION}-py3-none-any.whl`);
  expect(fs.existsSync(path.join(dists, `pulumi_ark-${VERSION}.tar.gz`))).toBe(true);
  const python = path.join(f.run.stateDir, 'venv', 'bin', 'python');
  const shown = execFileSync(python, ['-c', 'import importlib.resources as r, pulumi_ark; print(pulumi_ark.__file__); print(r.files("pulumi_ark").joinpath("pulumi-plugin.json").read_text())'], {
    cwd: project,
    encoding: 'utf8',
  });
  const [file, ...json] = shown.trim().split('\n');
  expect(file!.startsWith(f.run.stateDir + path.sep)).toBe(true);
  expect(JSON.parse(json.join('\n'))).toEqual({ resource: true, name: 'ark', version: VERSION, server: PLUGIN_DOWNLOAD_URL });
  expect(fs.readdirSync(project)).not.toContain('requirements.txt');
});

test('up downloads the plugin the SDK names; a second preview changes nothing; destroy leaves ark-local empty', async () => {
  expect(fs.existsSync(path.join(f.run.stateDir, 'home', 'plugins', `resource-ark-v${VERSION}`))).toBe(false);
  const up = await f.pulumiOk(['up', '--yes']);
  expect(up.stdout).toMatch(/\+ 4 created/);
  expect(server.requests).toEqual([`/pulumi-resource-ark-v${VERSION}-${hostPlatform()}.tar.gz`]);
  expect((await inventory(f.ark)).endpoints).toEqual([expect.stringMatching(/^ep-\S+ Running$/)]);
  await f.pulumiOk(['preview', '--expect-no-changes']);
  await f.pulumiOk(['destroy', '--yes']);
  expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
});
