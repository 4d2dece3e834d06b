import net from 'node:net';

/**
 * The simulated agents' HTTP: keep-alive TCP connections per agent, each request written
 * as one pre-built HTTP/1.1 message and each answer read with a minimal parser (status line,
 * Content-Length or chunked body). The simulated agents share the machine's two cores with
 * the hub, Postgres and Redis, so what they spend is taken from the hub being measured: this
 * is how load generators such as wrk and autocannon keep their own cost small. `node:http`'s
 * client cost about four times as much CPU per request here (see docs/benchmarks.md,
 * "Session 6"). The hub's side is unchanged: its `node:http` server parses every request.
 */

export interface Received {
  status: number;
  /** performance.now() when the response headers arrived. */
  at: number;
  body: string;
}

export interface Agent {
  name: string;
  credential: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** A network error as `node:http` reports one, so callers can tell kinds apart by `code`. */
const networkError = (code: string, message: string): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

/** One agent's connection: at most one request in flight (as HTTP/1.1 without pipelining). */
class Connection {
  private buffered: Buffer = Buffer.alloc(0);
  private headersAt = 0;
  private status = 0;
  /** Where the body starts in `buffered`, once the headers are complete. */
  private bodyStart = -1;
  private contentLength = -1;
  private chunked = false;
  private closeAfter = false;
  private pending?: { resolve: (received: Received) => void; reject: (error: Error) => void };
  /** A request is in flight (for a held poll: until it is answered). */
  get busy(): boolean {
    return this.pending !== undefined;
  }
  /** Any byte of the current answer arrived: a failure after that is not a stale connection. */
  answering = false;
  closed = false;

  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => {
      this.closed = true;
      this.fail(networkError('ECONNRESET', 'socket hang up'));
    });
  }

  send(message: string): Promise<Received> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.answering = false;
      this.socket.write(message);
    });
  }

  private fail(error: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    this.reset();
    pending?.reject(error);
  }

  private reset(): void {
    this.buffered = Buffer.alloc(0);
    this.bodyStart = -1;
    this.contentLength = -1;
    this.chunked = false;
    this.closeAfter = false;
  }

  private received(chunk: Buffer): void {
    this.answering = true;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    if (this.bodyStart < 0 && !this.readHeaders()) return;
    const body = this.chunked ? this.chunkedBody() : this.plainBody();
    if (body === undefined) return;
    const pending = this.pending;
    this.pending = undefined;
    const { status, headersAt, closeAfter } = this;
    this.reset();
    if (closeAfter) this.socket.destroy();
    pending?.resolve({ status, at: headersAt, body });
  }

  /** Parses the status line and the headers this client needs; false until they are complete. */
  private readHeaders(): boolean {
    const end = this.buffered.indexOf(HEADER_END);
    if (end < 0) return false;
    this.headersAt = performance.now();
    const head = this.buffered.toString('latin1', 0, end);
    this.status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    this.contentLength = length ? Number(length[1]) : -1;
    this.chunked = /\r\ntransfer-encoding: *chunked/i.test(head);
    this.closeAfter = /\r\nconnection: *close/i.test(head);
    this.bodyStart = end + HEADER_END.length;
    return true;
  }

  private plainBody(): string | undefined {
    const length = Math.max(this.contentLength, 0);
    if (this.buffered.length < this.bodyStart + length) return undefined;
    return this.buffered.toString('utf8', this.bodyStart, this.bodyStart + length);
  }

  /** The decoded body once the terminating zero-length chunk arrived (trailers are not used here). */
  private chunkedBody(): string | undefined {
    const parts: Buffer[] = [];
    let at = this.bodyStart;
    for (;;) {
      const lineEnd = this.buffered.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(this.buffered.toString('latin1', at, lineEnd), 16);
      const dataStart = lineEnd + 2;
      if (size === 0) return this.buffered.length >= dataStart + 2 ? Buffer.concat(parts).toString('utf8') : undefined;
      if (this.buffered.length < dataStart + size + 2) return undefined;
      parts.push(this.buffered.subarray(dataStart, dataStart + size));
      at = dataStart + size + 2;
    }
  }
}

/**
 * HTTP of simulated agents: keep-alive connections on raw sockets (see the file's header).
 * An agent has one connection while it only polls; a request sent while its poll is held
 * (a status report, a heartbeat) takes a second one, as the agent's own HTTP client does.
 */
export class AgentClient {
  private readonly host: string;
  private readonly port: number;
  private readonly connections = new Map<string, Connection[]>();
  /** New connections being opened now, and requests waiting to open one (see `connect`). */
  private opening = 0;
  private readonly waitingToOpen: Array<() => void> = [];
  /** Requests sent again after a network error (connection refused, reset or timed out), as an agent retries. */
  retries = 0;
  /** Set when the scenario ends: requests failing then are not retried. */
  closing = false;

  /**
   * At most `maxOpening` connections are opened at once: 10,000 agents connecting in the same
   * millisecond overflow the listen backlog (SYNs dropped, connects timing out), which a real
   * fleet, whose agents start at different times, does not do. (`_sockets`: kept for callers
   * written for the pooled client; every agent has its own connections.)
   */
  constructor(
    base: string,
    _sockets?: number,
    private readonly maxOpening = 200,
  ) {
    const url = new URL(base);
    this.host = url.hostname;
    this.port = Number(url.port);
  }

  /** Opens a new connection for `agent` and sends `message` on it (before any other request can take it). */
  private async connect(agent: Agent, message: string): Promise<Received> {
    if (this.opening >= this.maxOpening) await new Promise<void>((resolve) => this.waitingToOpen.push(resolve));
    this.opening++;
    try {
      const socket = net.connect({ host: this.host, port: this.port });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      const connection = new Connection(socket);
      const kept = this.connections.get(agent.name);
      if (kept) kept.push(connection);
      else this.connections.set(agent.name, [connection]);
      socket.once('close', () => {
        const open = this.connections.get(agent.name)?.filter((other) => other !== connection) ?? [];
        if (open.length > 0) this.connections.set(agent.name, open);
        else this.connections.delete(agent.name);
      });
      return connection.send(message);
    } finally {
      this.opening--;
      this.waitingToOpen.shift()?.();
    }
  }

  /** One request; a network error (before an answer) is retried as the agent does (500 ms doubling to 10 s, jittered). */
  async request(agent: Agent, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Received> {
    for (let pause = 500; ; pause = Math.min(10_000, pause * 2)) {
      try {
        return await this.once(agent, method, path, body);
      } catch (error) {
        if (this.closing) throw error;
        this.retries++;
        await new Promise((resolve) => setTimeout(resolve, pause / 2 + Math.random() * (pause / 2)));
      }
    }
  }

  private async once(agent: Agent, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Received> {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const head =
      `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\nauthorization: Bearer ${agent.credential}\r\n` +
      (body === undefined ? '\r\n' : `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n`);
    // HTTP/1.1 without pipelining: a connection carries one request at a time.
    const kept = this.connections.get(agent.name)?.find((connection) => !connection.closed && !connection.busy);
    if (kept) {
      try {
        return await kept.send(head + payload);
      } catch (error) {
        // The hub closed the idle connection as the request went out: send it once on a new one, as node:http's agent does.
        if (kept.answering || this.closing) throw error;
      }
    }
    return this.connect(agent, head + payload);
  }

  /** Long-polls for a revision newer than `after`. */
  poll(agent: Agent, after: number, waitSeconds = 280): Promise<Received> {
    return this.request(agent, 'GET', `/agent/v1/plan?after=${after}&waitSeconds=${waitSeconds}`);
  }

  destroy(): void {
    this.closing = true;
    for (const connections of this.connections.values()) for (const connection of connections) connection.socket.destroy();
    this.connections.clear();
  }
}
