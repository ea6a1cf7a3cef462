import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The release workflow builds what tests/e2e installs by calling the same commands the tests call; a test that
 * starts building an artifact another way must change the workflow with it.
 */
const ROOT = path.resolve(__dirname, '..');
const workflow = fs.readFileSync(path.join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8');

describe('.github/workflows/release.yml', () => {
  it.each([
    ['tests/e2e/installed.ts', "'plugin-pack.sh'", 'scripts/plugin-pack.sh --out release'],
    ['tests/e2e/python-wheel.test.ts', "'sdk-python-dist.sh'", 'scripts/sdk-python-dist.sh --out release/python'],
    ['tests/e2e/npm-tarball.test.ts', "['pack', '--json', '--ignore-scripts', '--pack-destination'", 'npm pack --ignore-scripts --pack-destination release'],
  ])('builds what %s installs with the same command', (test, call, step) => {
    expect(fs.readFileSync(path.join(ROOT, test), 'utf8')).toContain(call);
    expect(workflow.split('\n').some((line) => /^\s+run: /.test(line) && line.includes(step))).toBe(true);
  });

  it('runs on a version tag and publishes the archives, checksums, npm package, wheel and sdist and the Go module tag', () => {
    expect(workflow).toMatch(/^on:\n {2}push:\n {4}tags: \['v\*'\]/m);
    for (const published of ['release/pulumi-resource-ark-v"$version"-*.tar.gz', 'checksums.txt', 'npm publish', 'pypa/gh-action-pypi-publish', 'packages-dir: release/python/', 'git push origin "sdk/$GITHUB_REF_NAME"']) {
      expect(workflow).toContain(published);
    }
    // The archives are released before the SDKs that make the engine download them.
    expect(workflow.indexOf('gh release create')).toBeLessThan(workflow.indexOf('npm publish'));
  });
});
