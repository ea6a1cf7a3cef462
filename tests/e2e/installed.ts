/**
 * Shared by the tests that install what a release publishes (docs/plugin.md, "Releases"): the plugin archives
 * built by scripts/plugin-pack.sh into a directory outside the repository, the platform name the engine uses
 * for this machine, the examples' programs copied out of the repository as users write them (no `plugins:`
 * block), and a static file server on 127.0.0.1 standing in for the release download location.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { outsideTempDir, requireBuiltPackage } from './cli-harness';

export const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export const PLATFORMS = ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64', 'windows-amd64'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** This machine as the engine names it in archive names (`<GOOS>-<GOARCH>`). */
export function hostPlatform(): Platform {
  const os = ({ linux: 'linux', darwin: 'darwin', win32: 'windows' } as Record<string, string>)[process.platform];
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  const platform = `${os}-${arch}`;
  if (!(PLATFORMS as readonly string[]).includes(platform)) throw new Error(`no plugin archive for ${process.platform}/${process.arch}`);
  return platform as Platform;
}

export interface PluginArchives {
  /** The directory holding the archives and the checksum file (outside the repository). */
  dir: string;
  archives: Partial<Record<Platform, string>>;
  checksums: string;
  remove(): void;
}

/** Runs scripts/plugin-pack.sh (needs `npm run build`) for `platforms` into a fresh directory outside the repository. */
export function packPlugin(platforms: readonly Platform[] = [hostPlatform()]): PluginArchives {
  const dir = outsideTempDir('plugin-archives');
  const printed = execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'plugin-pack.sh'), '--out', dir, ...platforms], { encoding: 'utf8' })
    .trim()
    .split('\n');
  const archives: Partial<Record<Platform, string>> = {};
  for (const platform of platforms) archives[platform] = printed.find((file) => file.endsWith(`-${platform}.tar.gz`));
  return { dir, archives, checksums: printed[printed.length - 1]!, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * An example's Pulumi.yaml as a user's project has it: the `plugins:` block pointing into this repository
 * (and the comment above it) removed, so the engine must find the plugin installed or download it.
 */
export function withoutPluginsBlock(pulumiYaml: string): string {
  const out = pulumiYaml.replace(/(^#[^\n]*\n)*^plugins:\n(^[ \t]+[^\n]*\n)+/m, '');
  if (out === pulumiYaml || /^plugins:/m.test(out)) throw new Error('no plugins: block to remove');
  return out;
}

/** Copies examples/<example> to a fresh directory outside the repository, without its `plugins:` block. */
export function copyExampleOutside(example: 'yaml' | 'python', name: string): string {
  const dir = outsideTempDir(name);
  const source = path.join(REPO_ROOT, 'examples', example);
  for (const file of fs.readdirSync(source)) {
    if (file === 'Pulumi.yaml') fs.writeFileSync(path.join(dir, file), withoutPluginsBlock(fs.readFileSync(path.join(source, file), 'utf8')));
    else if (!file.startsWith('Pulumi.') && file !== 'requirements.txt' && fs.statSync(path.join(source, file)).isFile()) fs.copyFileSync(path.join(source, file), path.join(dir, file));
  }
  return dir;
}

export interface FileServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves the files of `dir` (flat, GET only) on 127.0.0.1, as a release's download location would. */
export async function serveFiles(dir: string): Promise<FileServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    requests.push(`/${name}`);
    const file = path.join(dir, name);
    if (req.method !== 'GET' || name.includes('/') || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A plugin release location: this machine's archive in `dir`, served on 127.0.0.1. */
export interface PluginRelease extends FileServer {
  dir: string;
}

/** Packs this machine's plugin archive (the build must be there) and serves it; close also removes the archive. */
export async function servePluginRelease(): Promise<PluginRelease> {
  requireBuiltPackage('dist/provider/native/main.js', 'the plugin archive carries it');
  const packed = packPlugin();
  const server = await serveFiles(packed.dir);
  return {
    ...server,
    dir: packed.dir,
    close: async () => {
      await server.close();
      packed.remove();
    },
  };
}

/**
 * Adds `options: { version, pluginDownloadURL }` to every `ark:index:*` resource of a Pulumi YAML program: how a
 * YAML program names a provider that is not Pulumi's own (YAML has no SDK carrying the schema's
 * pluginDownloadURL, and an http download location cannot answer "latest").
 */
export function withPluginOptions(pulumiYaml: string, version: string, pluginDownloadURL: string): string {
  if (/^\s+options:/m.test(pulumiYaml)) throw new Error('the program already has resource options: merge them by hand');
  let count = 0;
  const out = pulumiYaml.replace(/^( +)type: ark:index:\w+\n/gm, (line, indent: string) => {
    count++;
    return `${line}${indent}options: { version: ${version}, pluginDownloadURL: "${pluginDownloadURL}" }\n`;
  });
  if (count === 0) throw new Error('no ark:index:* resource in the program');
  return out;
}

/**
 * Environment that makes the engine fetch plugins by itself, the release location (schema.json's
 * pluginDownloadURL) redirected to `server`, as a mirror would be (docs/plugin.md).
 */
export function downloadFrom(server: FileServer, pluginDownloadURL: string): Record<string, string> {
  return {
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'false',
    PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES: `^${pluginDownloadURL.replace(/[.]/g, '\\.')}$=${server.url}`,
  };
}
