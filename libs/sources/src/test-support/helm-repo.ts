import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, normalize } from 'node:path';
import type { TestContext } from 'node:test';
import { type FileTree, tempDir } from '#testing';

export interface TestChart {
  /** Files of the chart directory (Chart.yaml, templates/...). */
  files: FileTree;
}

export interface HelmRepoServer {
  url: string;
  /** GET requests per path, e.g. `/web-1.0.0.tgz`. */
  requests: Map<string, number>;
}

/**
 * A real Helm repository on 127.0.0.1: charts packaged with `helm package`, indexed with
 * `helm repo index`, served by a node http server that the test stops.
 */
export async function startHelmRepo(t: Pick<TestContext, 'after'>, helm: string, charts: TestChart[]): Promise<HelmRepoServer> {
  const work = tempDir(t, 'flotilla-helm-repo-');
  const repoDir = join(work, 'repo');
  mkdirSync(repoDir);
  charts.forEach((chart, i) => {
    const chartDir = join(work, 'src', String(i), 'chart');
    for (const [path, content] of Object.entries(chart.files)) {
      if (typeof content !== 'string') throw new Error('test charts hold plain files only');
      mkdirSync(dirname(join(chartDir, path)), { recursive: true });
      writeFileSync(join(chartDir, path), content);
    }
    execFileSync(helm, ['package', chartDir, '--destination', repoDir], { env: isolatedHelmEnv(work), stdio: 'pipe' });
  });
  const requests = new Map<string, number>();
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const file = join(repoDir, path);
    if (!file.startsWith(repoDir) || !existsSync(file)) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': path.endsWith('.yaml') ? 'text/yaml' : 'application/gzip' });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  execFileSync(helm, ['repo', 'index', repoDir, '--url', url], { env: isolatedHelmEnv(work), stdio: 'pipe' });
  return { url, requests };
}

function isolatedHelmEnv(work: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: work,
    HELM_CACHE_HOME: join(work, 'helm-cache'),
    HELM_CONFIG_HOME: join(work, 'helm-config'),
    HELM_DATA_HOME: join(work, 'helm-data'),
  };
}
