/**
 * pulumi-ark as TypeScript users install it: `npm pack`'s tarball (what `npm publish` uploads), a dependency of
 * a project of its own in a directory outside the repository (its own package.json and `npm install`, no link
 * into the repository), running examples/quickstart's program with a clean PULUMI_HOME: up, a no-op preview,
 * destroy against ark-local. The dynamic provider loads `pulumi-ark/provider-runtime` from that project's
 * node_modules, so the published `exports` and `files` are what is under test.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { inventory } from './ark-inventory';
import { outsideTempDir, requireBuiltPackage } from './cli-harness';
import { startExampleStack, type ExampleStack } from './example-stack';
import { VERSION } from './installed';

jest.setTimeout(900_000);

const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

let packDir: string;
let tarball: string;
let project: string;
let f: ExampleStack;

beforeAll(async () => {
  requireBuiltPackage('dist/index.js', 'npm pack packs dist/');
  packDir = outsideTempDir('npm-pack');
  // --ignore-scripts: `prepare` would only rebuild dist/, which is built (the release builds before publishing).
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], { cwd: REPO_ROOT, encoding: 'utf8' })) as { filename: string }[];
  tarball = path.join(packDir, packed!.filename);

  project = outsideTempDir('npm-tarball-project');
  const quickstart = path.join(REPO_ROOT, 'examples', 'quickstart');
  for (const file of ['Pulumi.yaml', 'index.ts', 'program.ts', 'tsconfig.json']) fs.copyFileSync(path.join(quickstart, file), path.join(project, file));
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify(
      {
        name: 'ark-quickstart-installed',
        private: true,
        main: 'index.ts',
        // What a Pulumi TypeScript project declares: the SDK, and the TypeScript the language host compiles with.
        dependencies: { 'pulumi-ark': `file:${tarball}`, '@pulumi/pulumi': manifest.dependencies['@pulumi/pulumi'] },
        devDependencies: { typescript: manifest.devDependencies.typescript, 'ts-node': manifest.devDependencies['ts-node'], '@types/node': manifest.devDependencies['@types/node'] },
      },
      null,
      2,
    ),
  );
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, stdio: 'pipe' });
  f = await startExampleStack({ example: project, name: 'npm-tarball', outside: true });
});

afterAll(async () => {
  await f?.close();
  for (const dir of [packDir, project]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the project installs the tarball itself: a package directory of its own, not a link into the repository', () => {
  expect(path.basename(tarball)).toBe(`pulumi-ark-${VERSION}.tgz`);
  const installed = path.join(project, 'node_modules', 'pulumi-ark');
  expect(fs.lstatSync(installed).isSymbolicLink()).toBe(false);
  expect(fs.realpathSync(installed).startsWith(REPO_ROOT + path.sep)).toBe(false);
  expect(JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')).version).toBe(VERSION);
  for (const file of ['dist/index.js', 'dist/provider/runtime.js', 'bin/pulumi-resource-ark', 'schema.json']) expect(fs.existsSync(path.join(installed, file))).toBe(true);
  expect(fs.existsSync(path.join(installed, 'dist', 'tests'))).toBe(false);
});

test('up creates the three resources; a second preview changes nothing; destroy leaves ark-local empty', async () => {
  const up = await f.pulumiOk(['up', '--yes']);
  expect(up.stdout).toMatch(/\+ 4 created/);
  expect((await inventory(f.ark)).endpoints).toEqual([expect.stringMatching(/^ep-\S+ Running$/)]);
  await f.pulumiOk(['preview', '--expect-no-changes']);
  await f.pulumiOk(['destroy', '--yes']);
  expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
});
