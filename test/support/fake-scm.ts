import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local SCM speaking the parts of GitHub's REST API (under `/api/v3`, as GitHub Enterprise;
 * Gitea's copy of it under `/api/v1`) and GitLab's (under `/api/v4`) that pull request generators and preview feedback use:
 * listing with pagination and ETags, commit statuses, and comments/notes. Tests change the
 * pull requests in memory and read back what the hub posted.
 */

export interface FakePullRequest {
  number: number;
  title: string;
  branch: string;
  sha: string;
  labels: string[];
  author?: string;
  target?: string;
  draft?: boolean;
}

export interface PostedStatus {
  repository: string;
  sha: string;
  state: string;
  context: string;
  description: string;
  targetUrl?: string;
}

export interface PostedComment {
  id: number;
  repository: string;
  number: number;
  body: string;
  /** How many times it was edited after creation. */
  edits: number;
}

export interface FakeScm {
  /** `http://127.0.0.1:<port>`: GitHub `api`, and GitLab `api`. */
  origin: string;
  /** Open pull requests by `owner/repo` (GitHub) or project path (GitLab). */
  pulls: Map<string, FakePullRequest[]>;
  statuses: PostedStatus[];
  comments: PostedComment[];
  /** Requests seen, as `METHOD path`. */
  requests: string[];
  /** Answer every request with this status (e.g. 503) until cleared. */
  failWith: number | undefined;
  /** Headers sent with `failWith` (rate-limit headers, Retry-After). */
  failHeaders: Record<string, string>;
  /** Page size the server enforces (whatever the client asks). */
  pageSize: number;
  close(): Promise<void>;
}

export async function startFakeScm(options: { token: string; pageSize?: number }): Promise<FakeScm> {
  const scm: FakeScm = {
    origin: '',
    pulls: new Map(),
    statuses: [],
    comments: [],
    requests: [],
    failWith: undefined,
    failHeaders: {},
    pageSize: options.pageSize ?? 100,
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(scm, options.token, req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        send(res, 500, { message: (error as Error).message });
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  scm.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  scm.close = async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  };
  return scm;
}

/** Comment and note ids, unique for the process (tests clear the lists). */
let nextCommentId = 1000;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

function handle(scm: FakeScm, token: string, req: IncomingMessage, res: ServerResponse, body: string): unknown {
  const url = new URL(req.url ?? '/', scm.origin);
  scm.requests.push(`${req.method} ${url.pathname}`);
  if (scm.failWith) return send(res, scm.failWith, { message: 'unavailable' }, scm.failHeaders);
  // Gitea serves GitHub's paths under /api/v1.
  const github = url.pathname.startsWith('/api/v3/') || url.pathname.startsWith('/api/v1/');
  const given = github ? (req.headers.authorization ?? '').replace(/^(token|bearer) /i, '') : req.headers['private-token'];
  if (given !== token) return send(res, 401, { message: 'Bad credentials' });
  const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
  if (github) return githubRoute(scm, req.method ?? 'GET', url, input, req, res);
  if (url.pathname.startsWith('/api/v4/')) return gitlabRoute(scm, req.method ?? 'GET', url, input, res);
  send(res, 404, { message: 'Not Found' });
}

/** One page of a list, with a `Link` next header and an ETag answered with 304 when unchanged. */
function page<T>(scm: FakeScm, req: IncomingMessage, res: ServerResponse, url: URL, items: T[], linkStyle: 'github' | 'gitlab'): unknown {
  const number = Math.max(1, Number(url.searchParams.get('page') ?? '1'));
  const size = Math.min(scm.pageSize, Number(url.searchParams.get('per_page') ?? scm.pageSize));
  const slice = items.slice((number - 1) * size, number * size);
  const headers: Record<string, string> = {};
  if (number * size < items.length) {
    const next = new URL(url);
    next.searchParams.set('page', String(number + 1));
    if (linkStyle === 'github') headers.link = `<${next}>; rel="next"`;
    else headers['x-next-page'] = String(number + 1);
  }
  const etag = `"${createHash('sha1')
    .update(JSON.stringify([slice, headers]))
    .digest('hex')}"`;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag, ...headers });
    return void res.end();
  }
  send(res, 200, slice, { etag, ...headers });
}

function githubRoute(
  scm: FakeScm,
  method: string,
  url: URL,
  input: Record<string, unknown>,
  req: IncomingMessage,
  res: ServerResponse,
): unknown {
  const path = url.pathname.slice('/api/v3'.length); // or /api/v1 (Gitea)
  let match = /^\/repos\/([^/]+)\/([^/]+)\/pulls$/.exec(path);
  if (match && method === 'GET') {
    const pulls = scm.pulls.get(`${match[1]}/${match[2]}`) ?? [];
    const items = pulls.map((pull) => ({
      number: pull.number,
      title: pull.title,
      draft: pull.draft ?? false,
      head: { ref: pull.branch, sha: pull.sha },
      base: { ref: pull.target ?? 'main' },
      labels: pull.labels.map((name) => ({ name })),
      user: { login: pull.author ?? 'dev' },
    }));
    return page(scm, req, res, url, items, 'github');
  }
  match = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]+)$/.exec(path);
  if (match && method === 'POST') {
    scm.statuses.push({
      repository: `${match[1]}/${match[2]}`,
      sha: match[3] as string,
      state: String(input.state),
      context: String(input.context),
      description: String(input.description ?? ''),
      ...(input.target_url ? { targetUrl: String(input.target_url) } : {}),
    });
    return send(res, 201, { id: scm.statuses.length });
  }
  match = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path);
  if (match && method === 'POST') {
    const comment = {
      id: nextCommentId++,
      repository: `${match[1]}/${match[2]}`,
      number: Number(match[3]),
      body: String(input.body),
      edits: 0,
    };
    scm.comments.push(comment);
    return send(res, 201, { id: comment.id, body: comment.body });
  }
  match = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(path);
  if (match && method === 'PATCH') {
    const comment = scm.comments.find((c) => c.id === Number(match?.[3]));
    if (!comment) return send(res, 404, { message: 'Not Found' });
    comment.body = String(input.body);
    comment.edits++;
    return send(res, 200, { id: comment.id, body: comment.body });
  }
  send(res, 404, { message: 'Not Found' });
}

function gitlabRoute(scm: FakeScm, method: string, url: URL, input: Record<string, unknown>, res: ServerResponse): unknown {
  const path = url.pathname.slice('/api/v4'.length);
  let match = /^\/projects\/([^/]+)\/merge_requests$/.exec(path);
  if (match && method === 'GET') {
    const project = decodeURIComponent(match[1] as string);
    const items = (scm.pulls.get(project) ?? []).map((pull) => ({
      iid: pull.number,
      title: pull.title,
      source_branch: pull.branch,
      target_branch: pull.target ?? 'main',
      sha: pull.sha,
      labels: pull.labels,
      author: { username: pull.author ?? 'dev' },
      draft: pull.draft ?? false,
    }));
    return page(scm, { headers: {} } as IncomingMessage, res, url, items, 'gitlab');
  }
  match = /^\/projects\/([^/]+)\/statuses\/([0-9a-f]+)$/.exec(path);
  if (match && method === 'POST') {
    scm.statuses.push({
      repository: decodeURIComponent(match[1] as string),
      sha: match[2] as string,
      state: String(input.state),
      context: String(input.name),
      description: String(input.description ?? ''),
      ...(input.target_url ? { targetUrl: String(input.target_url) } : {}),
    });
    return send(res, 201, { id: scm.statuses.length });
  }
  match = /^\/projects\/([^/]+)\/merge_requests\/(\d+)\/notes(?:\/(\d+))?$/.exec(path);
  if (match && method === 'POST' && !match[3]) {
    const note = {
      id: nextCommentId++,
      repository: decodeURIComponent(match[1] as string),
      number: Number(match[2]),
      body: String(input.body),
      edits: 0,
    };
    scm.comments.push(note);
    return send(res, 201, { id: note.id });
  }
  if (match?.[3] && method === 'PUT') {
    const note = scm.comments.find((c) => c.id === Number(match?.[3]));
    if (!note) return send(res, 404, { message: '404 Not found' });
    note.body = String(input.body);
    note.edits++;
    return send(res, 200, { id: note.id });
  }
  send(res, 404, { message: '404 Not Found' });
}
