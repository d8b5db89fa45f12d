import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { computeBuildInfo, loadBuildInfo, resolveBuildInfo } from '../../shared/platform/build-info';

/** The build stamp (shared/platform/build-info.ts): what `npm run build` writes and `GET /api/health` answers. */
const SHA = '779b906c0b5e4a1f2d3c4b5a69788796a5b4c3d2';
const REPO = resolve(__dirname, '../..');
const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'algesta-build-info-'));
  temp.push(dir);
  return dir;
};

describe('resolveBuildInfo', () => {
  const noGit = () => undefined;

  it('takes the pipeline’s variables when set, and asks git nothing then', () => {
    let asked = 0;
    const info = resolveBuildInfo({
      env: { ALGESTA_BUILD_VERSION: '20261207.3', ALGESTA_BUILD_COMMIT: SHA.toUpperCase() },
      packageVersion: '0.1.0',
      gitCommit: () => (asked++, 'ffffffffffffffffffffffffffffffffffffffff'),
    });
    expect(info).toEqual({ version: '20261207.3', commit: SHA });
    expect(asked).toBe(0);
  });

  it('falls back to <package version>-local and git’s HEAD, else unknown', () => {
    expect(resolveBuildInfo({ env: {}, packageVersion: '0.1.0', gitCommit: () => SHA })).toEqual({
      version: '0.1.0-local',
      commit: SHA,
    });
    // An empty variable is an unset one (a pipeline variable defined blank).
    expect(
      resolveBuildInfo({
        env: { ALGESTA_BUILD_VERSION: '', ALGESTA_BUILD_COMMIT: '' },
        packageVersion: '2.0.0',
        gitCommit: noGit,
      }),
    ).toEqual({ version: '2.0.0-local', commit: 'unknown' });
  });

  it('refuses a blank version or a commit that is not a sha', () => {
    expect(() => resolveBuildInfo({ env: { ALGESTA_BUILD_VERSION: '  ' }, packageVersion: '0.1.0', gitCommit: noGit })).toThrow(
      /version must not be empty/,
    );
    expect(() => resolveBuildInfo({ env: { ALGESTA_BUILD_COMMIT: 'main' }, packageVersion: '0.1.0', gitCommit: noGit })).toThrow(
      /commit must be a hex git sha or "unknown"/,
    );
  });
});

describe('loadBuildInfo', () => {
  it('reads build-info.json one folder above the module (the bundle’s layout)', () => {
    const dist = tempDir();
    writeFileSync(join(dist, 'build-info.json'), JSON.stringify({ version: '20261207.3', commit: SHA }));
    expect(loadBuildInfo(pathToFileURL(join(dist, 'chunks', 'chunk-X.js')).href)).toEqual({ version: '20261207.3', commit: SHA });
    writeFileSync(join(dist, 'build-info.json'), JSON.stringify({ version: '20261207.3', commit: 'HEAD' }));
    expect(() => loadBuildInfo(pathToFileURL(join(dist, 'functions', 'index.js')).href)).toThrow(/invalid build stamp/);
  });

  it('without a stamp file, computes it from the checkout: package.json’s version and git’s HEAD', () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    // From source (shared/platform/build-info.ts): no build-info.json in shared/.
    expect(loadBuildInfo()).toEqual({ version: `${version}-local`, commit: head });
  });

  it('outside a git repository the commit is unknown', () => {
    const root = tempDir();
    writeFileSync(join(root, 'package.json'), JSON.stringify({ version: '3.1.4' }));
    mkdirSync(join(root, 'src'));
    expect(computeBuildInfo(join(root), {})).toEqual({ version: '3.1.4-local', commit: 'unknown' });
    expect(loadBuildInfo(pathToFileURL(join(root, 'src', 'mod.js')).href)).toEqual({ version: '3.1.4-local', commit: 'unknown' });
  });
});
