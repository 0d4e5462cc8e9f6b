/**
 * @muscode/client: the MUSCode public API from TypeScript, in Node 20 and in browsers.
 * It uses only `fetch` and a WebSocket constructor (the browser's global, or `ws` in Node 20,
 * passed as `WebSocket`), so it has no dependency a browser cannot load. Request and answer
 * shapes come from the types generated out of the OpenAPI document (src/gen/openapi.ts), the
 * WebSocket frames' from the protocol's JSON Schema (src/gen/ws-protocol.ts), both written by
 * `npm run gen:api`.
 */
import type { Answer, QueryOf, RequestBody, Schema, WsFrame } from './api-types.js';

export type { Answer, Operation, QueryOf, RequestBody, ResponseBody, Schema, WsFrame } from './api-types.js';

/** Every failed call: the API's stable error `code` (or `network_error`), HTTP status, details. */
export class MuscodeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'MuscodeError';
  }
}

/** The subset of the WebSocket interface the client uses (browser global, or `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface Session {
  token: string;
  refreshToken?: string;
}

export interface ClientOptions {
  /** Origin of the gateway, e.g. `http://127.0.0.1:8080` (default: '' = same origin in a browser). */
  baseUrl?: string;
  /** An access token, or a session (access + refresh token) from an earlier login. */
  token?: string;
  refreshToken?: string;
  /** An API key (sent as the bearer token; never refreshed). */
  apiKey?: string;
  fetch?: typeof fetch;
  WebSocket?: WebSocketConstructor;
  /** Called whenever the session changes (login, refresh, logout), e.g. to persist it. */
  onSession?: (session: Session | null) => void;
  /** How many times one call waits out a 429's Retry-After before failing (default 2). */
  maxRateLimitRetries?: number;
  /** Upper bound of one Retry-After wait in seconds (default 30). */
  maxRetryAfterSeconds?: number;
}

/* ------------------------------------------------------------------ API shapes */

export interface ExecuteFile {
  name: string;
  content: string;
  path?: string;
}
/** What POST /execute takes (generated from the OpenAPI document); extra fields are passed on. */
export type ExecuteSpec = RequestBody<'postApiV1Execute'> & { [extra: string]: unknown };
/** An execution as GET /execute/{id} answers it (and a WebSocket `result`). */
export type Execution = Schema<'Execution'>;
export type ExecutionStatus = Execution['status'];
/** One test of a graded submission (README, "Grading"). */
export type TestOutcome = Schema<'TestResult'>;
/** What a submission without `wait` answers. */
export type QueuedExecution = Schema<'QueuedExecution'>;
export type Project = Schema<'Project'>;
export type ProjectWithFiles = Schema<'ProjectWithFiles'>;
export type ProjectFile = Schema<'File'>;
export type Comment = Schema<'Comment'>;
export type ApiKey = Schema<'ApiKey'>;
export type Language = Schema<'Language'>;
export type Health = Schema<'Health'>;
/** The body of every failed call (its `error` is what a MuscodeError carries). */
export type ErrorEnvelope = Schema<'ErrorEnvelope'>;

/** A frame of the WebSocket protocol, read field by field (README, "WebSocket protocol"). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from the socket
type Frame = any;

/** `executions.submit` and `projects.run`: the result with `wait: true`, else as queued. */
type Submitted<W> = W extends { wait: true } ? Execution : Answer<'postApiV1Execute'>;

/** Every status but these two is final (and is the verdict). */
const pendingStatuses = new Set(['queued', 'running']);

/** The live events of `client.run()`: the WebSocket protocol's server messages for one execution. */
export type RunEvent =
  | WsFrame<'status'>
  /** A chunk of output; `bytes` is `data` decoded. */
  | (WsFrame<'output'> & { bytes: Uint8Array })
  /** A graded submission's test has run (README, "Grading"): `test` is the result's `tests[index]`. */
  | (Omit<WsFrame<'test'>, 'test'> & { test: TestOutcome })
  | ({ type: 'result'; seq: number } & Execution)
  | { type: 'reconnecting'; attempt: number; fromSeq: number };

/* ------------------------------------------------------------------ the client */

export class MuscodeClient {
  readonly baseUrl: string;
  private session: Session | null;
  private readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly WebSocketImpl: WebSocketConstructor | undefined;
  private refreshing: Promise<void> | null = null;

  constructor(private readonly opts: ClientOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? '').replace(/\/+$/, '');
    this.session = opts.token ? { token: opts.token, refreshToken: opts.refreshToken } : null;
    this.apiKey = opts.apiKey;
    this.fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.WebSocketImpl = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  }

  /** The current access token (null when logged out). */
  get token(): string | null {
    return this.apiKey ?? this.session?.token ?? null;
  }
  getSession(): Session | null {
    return this.session ? { ...this.session } : null;
  }

  private setSession(s: Session | null) {
    this.session = s;
    this.opts.onSession?.(s ? { ...s } : null);
  }

  /**
   * One API call: JSON in, the envelope's `data` out (or the whole body when there is no
   * `data`). A 401 with a refresh token refreshes once and retries; a 429 waits Retry-After.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    opts: {
      body?: unknown;
      query?: Record<string, unknown>;
      auth?: boolean;
      /** A body of bytes with its media type instead of JSON (archives). */
      raw?: { bytes: Uint8Array; type: string };
      /** Answer the response's bytes instead of its JSON (archives). */
      bytes?: boolean;
      /** Extra request headers (a Range). */
      headers?: Record<string, string>;
    } = {},
  ): Promise<T> {
    let url = `${this.baseUrl}/api/v1${path}`;
    if (opts.query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(opts.query)) if (v !== undefined && v !== null) q.set(k, String(v));
      const s = q.toString();
      if (s) url += `?${s}`;
    }
    let refreshed = false;
    let rateRetries = 0;
    for (;;) {
      const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
      const token = opts.auth === false ? null : this.token;
      if (token) headers['authorization'] = `Bearer ${token}`;
      let body: string | Uint8Array<ArrayBuffer> | undefined;
      if (opts.raw) {
        body = opts.raw.bytes as Uint8Array<ArrayBuffer>;
        headers['content-type'] = opts.raw.type;
      } else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] = 'application/json';
      }
      let res: Response;
      try {
        res = await this.fetchImpl(url, { method, headers, body });
      } catch (err) {
        throw new MuscodeError('network_error', (err as Error).message, 0);
      }
      if (res.ok && opts.bytes) return new Uint8Array(await res.arrayBuffer()) as T;
      const text = await res.text();
      let json: unknown = undefined;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (res.ok) return (json && typeof json === 'object' && 'data' in json ? json.data : json) as T;
      const err = errorOf(json);
      const code = typeof err?.code === 'string' ? err.code : `http_${res.status}`;
      if (res.status === 401 && !refreshed && !this.apiKey && this.session?.refreshToken && token) {
        refreshed = true;
        try {
          await this.refresh();
          continue;
        } catch {
          // fall through with the original 401
        }
      }
      if (res.status === 429 && rateRetries < (this.opts.maxRateLimitRetries ?? 2)) {
        const after = Number(res.headers.get('retry-after'));
        if (Number.isFinite(after) && after >= 0 && after <= (this.opts.maxRetryAfterSeconds ?? 30)) {
          rateRetries++;
          await sleep(after * 1000);
          continue;
        }
      }
      throw new MuscodeError(
        code,
        typeof err?.message === 'string' ? err.message : `HTTP ${res.status}`,
        res.status,
        err?.details,
      );
    }
  }

  /* ------------------------------------------------ auth */
  readonly auth = {
    register: async (body: RequestBody<'postApiV1AuthRegister'>) => {
      const data = await this.request<Answer<'postApiV1AuthRegister'>>('POST', '/auth/register', {
        body,
        auth: false,
      });
      this.setSession({ token: data.token, refreshToken: data.refreshToken });
      return data;
    },
    login: async (body: RequestBody<'postApiV1AuthLogin'>) => {
      const data = await this.request<Answer<'postApiV1AuthLogin'>>('POST', '/auth/login', {
        body,
        auth: false,
      });
      this.setSession({ token: data.token, refreshToken: data.refreshToken });
      return data;
    },
    /** Ends this session on the server (and its refresh token) and forgets it here. */
    logout: async () => {
      const refreshToken = this.session?.refreshToken;
      try {
        if (this.session)
          await this.request('POST', '/auth/logout', { body: refreshToken ? { refreshToken } : {} });
      } finally {
        this.setSession(null);
      }
    },
    me: () => this.request<Answer<'getApiV1AuthMe'>>('GET', '/auth/me'),
    refresh: () => this.refresh(),
  };

  /** Trades the refresh token for a new session (concurrent callers share one refresh). */
  refresh(): Promise<void> {
    const refreshToken = this.session?.refreshToken;
    if (!refreshToken) return Promise.reject(new MuscodeError('unauthorized', 'no refresh token', 401));
    this.refreshing ??= (async () => {
      try {
        const data = await this.request<Answer<'postApiV1AuthRefresh'>>('POST', '/auth/refresh', {
          body: { refreshToken },
          auth: false,
        });
        this.setSession({ token: data.token, refreshToken: data.refreshToken });
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /* ------------------------------------------------ executions */
  readonly executions = {
    /** Queues `spec`; with `{ wait: true }` answers the result (or the execution as it stands). */
    submit: <W extends { wait?: boolean }>(spec: ExecuteSpec, opts?: W) =>
      this.request<Submitted<W>>('POST', '/execute', { body: spec, query: { wait: opts?.wait } }),
    batch: <W extends { wait?: boolean }>(spec: ExecuteSpec, opts?: W) =>
      this.request<Submitted<W>>('POST', '/execute/batch', { body: spec, query: { wait: opts?.wait } }),
    get: (id: string) => this.request<Execution>('GET', `/execute/${enc(id)}`),
    cancel: (id: string) =>
      this.request<Answer<'postApiV1ExecuteByExecutionIdCancel'>>('POST', `/execute/${enc(id)}/cancel`),
    history: (query: QueryOf<'getApiV1Executions'> = {}) =>
      this.request<Answer<'getApiV1Executions'>>('GET', '/executions', { query }),
    /** The files the program left in /workspace/output, with what was left out and why. */
    artifacts: (id: string) =>
      this.request<Answer<'getApiV1ExecuteByExecutionIdArtifacts'>>('GET', `/execute/${enc(id)}/artifacts`),
    /** One artifact's bytes. */
    artifact: (id: string, artifactId: string) =>
      this.request<Uint8Array>('GET', `/execute/${enc(id)}/artifacts/${enc(artifactId)}`, { bytes: true }),
    /**
     * The raw bytes of a stream of the result, whole or one byte range (`{start, end}`, end
     * inclusive, as HTTP's Range; `{suffix: n}` for the last n bytes).
     */
    output: (
      id: string,
      stream: 'stdout' | 'stderr',
      range?: { start: number; end?: number } | { suffix: number },
    ) =>
      this.request<Uint8Array>('GET', `/execute/${enc(id)}/output/${stream}`, {
        bytes: true,
        ...(range
          ? {
              headers: {
                range:
                  'suffix' in range ? `bytes=-${range.suffix}` : `bytes=${range.start}-${range.end ?? ''}`,
              },
            }
          : {}),
      }),
    /** Polls until the execution has a final status. */
    wait: async (id: string, opts: { intervalMs?: number; timeoutMs?: number } = {}) => {
      const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
      for (;;) {
        const e = await this.executions.get(id);
        if (!pendingStatuses.has(e.status)) return e;
        if (Date.now() > deadline) throw new MuscodeError('timeout', `execution ${id} still ${e.status}`, 0);
        await sleep(opts.intervalMs ?? 100);
      }
    },
  };

  /** An artifact through its signed, short-lived URL (`signedUrl` of a result): no credentials. */
  readonly artifacts = {
    signed: (artifactId: string, query: { expires: number | string; signature: string }) =>
      this.request<Uint8Array>('GET', `/artifacts/${enc(artifactId)}`, { query, auth: false, bytes: true }),
  };

  /* ------------------------------------------------ projects, files, stars, comments */
  readonly projects = {
    list: (query: QueryOf<'getApiV1Projects'> = {}) =>
      this.request<Answer<'getApiV1Projects'>>('GET', '/projects', { query }),
    listPublic: (query: QueryOf<'getApiV1ProjectsPublic'> = {}) =>
      this.request<Answer<'getApiV1ProjectsPublic'>>('GET', '/projects/public', { query }),
    get: (id: string) => this.request<ProjectWithFiles>('GET', `/projects/${enc(id)}`),
    create: (body: RequestBody<'postApiV1Projects'>) => this.request<Project>('POST', '/projects', { body }),
    replace: (id: string, body: RequestBody<'putApiV1ProjectsByProjectId'>) =>
      this.request<Project>('PUT', `/projects/${enc(id)}`, { body }),
    update: (id: string, body: RequestBody<'patchApiV1ProjectsByProjectId'>) =>
      this.request<Project>('PATCH', `/projects/${enc(id)}`, { body }),
    delete: (id: string) =>
      this.request<Answer<'deleteApiV1ProjectsByProjectId'>>('DELETE', `/projects/${enc(id)}`),
    fork: (id: string) => this.request<Project>('POST', `/projects/${enc(id)}/fork`, { body: {} }),
    star: (id: string) =>
      this.request<Answer<'putApiV1ProjectsByProjectIdStar'>>('PUT', `/projects/${enc(id)}/star`),
    unstar: (id: string) =>
      this.request<Answer<'deleteApiV1ProjectsByProjectIdStar'>>('DELETE', `/projects/${enc(id)}/star`),
    /** Runs the project's files; with `wait: true` answers the result. */
    run: <B extends RequestBody<'postApiV1ProjectsByProjectIdRun'>>(id: string, body?: B) =>
      this.request<Submitted<B>>('POST', `/projects/${enc(id)}/run`, { body: body ?? {} }),
    /** The project's files as a zip archive, folders kept. */
    archive: (id: string) => this.request<Uint8Array>('GET', `/projects/${enc(id)}/archive`, { bytes: true }),
    /** A new project of the caller from a zip archive. */
    importArchive: (zip: Uint8Array, query: QueryOf<'postApiV1ProjectsImport'>) =>
      this.request<ProjectWithFiles>('POST', '/projects/import', {
        query,
        raw: { bytes: zip, type: 'application/zip' },
      }),
  };
  readonly files = {
    get: (projectId: string, fileId: string) =>
      this.request<ProjectFile>('GET', `/projects/${enc(projectId)}/files/${enc(fileId)}`),
    create: (projectId: string, body: RequestBody<'postApiV1ProjectsByProjectIdFiles'>) =>
      this.request<ProjectFile>('POST', `/projects/${enc(projectId)}/files`, { body }),
    update: (
      projectId: string,
      fileId: string,
      body: RequestBody<'putApiV1ProjectsByProjectIdFilesByFileId'>,
    ) => this.request<ProjectFile>('PUT', `/projects/${enc(projectId)}/files/${enc(fileId)}`, { body }),
    delete: (projectId: string, fileId: string) =>
      this.request<Answer<'deleteApiV1ProjectsByProjectIdFilesByFileId'>>(
        'DELETE',
        `/projects/${enc(projectId)}/files/${enc(fileId)}`,
      ),
  };
  readonly comments = {
    list: (projectId: string, query: QueryOf<'getApiV1ProjectsByProjectIdComments'> = {}) =>
      this.request<Answer<'getApiV1ProjectsByProjectIdComments'>>(
        'GET',
        `/projects/${enc(projectId)}/comments`,
        {
          query,
        },
      ),
    create: (projectId: string, body: RequestBody<'postApiV1ProjectsByProjectIdComments'>) =>
      this.request<Comment>('POST', `/projects/${enc(projectId)}/comments`, { body }),
    update: (
      projectId: string,
      commentId: string,
      body: RequestBody<'patchApiV1ProjectsByProjectIdCommentsByCommentId'>,
    ) => this.request<Comment>('PATCH', `/projects/${enc(projectId)}/comments/${enc(commentId)}`, { body }),
    delete: (projectId: string, commentId: string) =>
      this.request<Answer<'deleteApiV1ProjectsByProjectIdCommentsByCommentId'>>(
        'DELETE',
        `/projects/${enc(projectId)}/comments/${enc(commentId)}`,
      ),
  };
  /* ------------------------------------------------ stored test sets */
  readonly testSets = {
    list: (query: QueryOf<'getApiV1Test-sets'> = {}) =>
      this.request<Answer<'getApiV1Test-sets'>>('GET', '/test-sets', { query }),
    get: (id: string) => this.request<Answer<'getApiV1Test-setsByTestSetId'>>('GET', `/test-sets/${enc(id)}`),
    create: (body: RequestBody<'postApiV1Test-sets'>) =>
      this.request<Answer<'postApiV1Test-sets'>>('POST', '/test-sets', { body }),
    replace: (id: string, body: RequestBody<'putApiV1Test-setsByTestSetId'>) =>
      this.request<Answer<'putApiV1Test-setsByTestSetId'>>('PUT', `/test-sets/${enc(id)}`, { body }),
    delete: (id: string) =>
      this.request<Answer<'deleteApiV1Test-setsByTestSetId'>>('DELETE', `/test-sets/${enc(id)}`),
  };
  readonly apiKeys = {
    create: (body: RequestBody<'postApiV1Api-keys'>) =>
      this.request<Answer<'postApiV1Api-keys'>>('POST', '/api-keys', { body }),
    list: () => this.request<ApiKey[]>('GET', '/api-keys'),
    delete: (id: string) =>
      this.request<Answer<'deleteApiV1Api-keysByKeyId'>>('DELETE', `/api-keys/${enc(id)}`),
  };
  languages = () => this.request<Language[]>('GET', '/languages', { auth: false });
  /** `up`, or a MuscodeError `http_503` while degraded. */
  health = () => this.request<Health>('GET', '/health', { auth: false });

  /* ------------------------------------------------ live runs over the WebSocket */

  /**
   * Submits `spec` over the WebSocket protocol and follows it. Iterate the returned run for its
   * events (status, output, result); a dropped connection reconnects and resubscribes from the
   * last `seq` seen (a `reconnecting` event marks it). `stdin`, `closeStdin` and `cancel` talk
   * to the running program. Or pass `{ executionId }` to follow an existing execution.
   */
  run(
    spec: ExecuteSpec | { executionId: string; fromSeq?: number },
    opts: { maxReconnects?: number } = {},
  ): Run {
    if (!this.WebSocketImpl)
      throw new MuscodeError('unsupported', 'no WebSocket implementation: pass options.WebSocket', 0);
    return new Run(this, this.WebSocketImpl, spec, opts.maxReconnects ?? 5);
  }

  /** ws(s)://host/api/v1/ws */
  wsUrl(): string {
    let base = this.baseUrl;
    if (!base) {
      const loc = (globalThis as { location?: { origin: string } }).location;
      base = loc?.origin ?? '';
    }
    return `${base.replace(/^http/, 'ws')}/api/v1/ws`;
  }
}

export class Run implements AsyncIterable<RunEvent> {
  executionId: string | null = null;
  lastSeq = 0;
  /** The final result, once it arrived. */
  result: Execution | null = null;
  private socket: WebSocketLike | null = null;
  private queue: RunEvent[] = [];
  private waiters: (() => void)[] = [];
  private failure: MuscodeError | null = null;
  private done = false;
  private reconnects = 0;
  private pending: string[] = [];
  readonly executionIdReady: Promise<string>;
  private resolveId!: (id: string) => void;

  constructor(
    private readonly client: MuscodeClient,
    private readonly WS: WebSocketConstructor,
    private readonly spec: ExecuteSpec | { executionId: string; fromSeq?: number },
    private readonly maxReconnects: number,
  ) {
    this.executionIdReady = new Promise((r) => (this.resolveId = r));
    this.executionIdReady.catch(() => undefined);
    if ('executionId' in spec && typeof spec.executionId === 'string') {
      this.executionId = spec.executionId;
      this.lastSeq = Number(spec.fromSeq ?? 0);
      this.resolveId(spec.executionId);
    }
    this.connect();
  }

  private connect() {
    const token = this.client.token;
    const url = this.client.wsUrl() + (token ? `?token=${encodeURIComponent(token)}` : '');
    const ws = new this.WS(url);
    this.socket = ws;
    ws.onopen = () => {
      if (this.executionId) {
        ws.send(JSON.stringify({ type: 'subscribe', executionId: this.executionId, fromSeq: this.lastSeq }));
      } else {
        const {
          language,
          version,
          args,
          code,
          files,
          mainFile,
          stdin,
          timeout,
          memoryLimit,
          interactive,
          tests,
          checker,
          stopOnFirstFailure,
          testSetId,
        } = this.spec as ExecuteSpec;
        const limits: NonNullable<WsFrame<'execute'>['limits']> = {};
        if (timeout !== undefined) limits.timeout = timeout;
        if (memoryLimit !== undefined) limits.memoryLimit = memoryLimit;
        const msg: WsFrame<'execute'> = {
          type: 'execute',
          language,
          version,
          args,
          code,
          files,
          mainFile,
          stdin,
          interactive,
          tests,
          checker,
          stopOnFirstFailure,
          testSetId,
        };
        if (Object.keys(limits).length) msg.limits = limits;
        ws.send(JSON.stringify(msg));
      }
    };
    ws.onmessage = (ev) => this.onMessage(String(ev.data));
    ws.onerror = () => undefined;
    ws.onclose = (ev) => {
      if (this.socket !== ws || this.done) return;
      this.socket = null;
      // 4001/4002: the token is bad or expired; refresh once and go on.
      const retryable =
        ev.code === 1001 || ev.code === 1006 || ev.code === 1013 || ev.code === 4002 || ev.code === 4008;
      if (this.executionId && retryable && this.reconnects < this.maxReconnects) {
        this.reconnects++;
        this.push({ type: 'reconnecting', attempt: this.reconnects, fromSeq: this.lastSeq });
        const again = async () => {
          if (ev.code === 4002) await this.client.refresh().catch(() => undefined);
          await sleep(Math.min(200 * 2 ** (this.reconnects - 1), 5000));
          if (!this.done) this.connect();
        };
        void again();
        return;
      }
      this.fail(new MuscodeError('connection_closed', `WebSocket closed (${ev.code}) ${ev.reason}`, 0));
    };
  }

  private onMessage(text: string) {
    let m: Frame;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (m.type === 'error') {
      if (m.code === 'events_trimmed') return; // the result still carries the whole output
      if (m.code === 'already_subscribed') return;
      this.fail(new MuscodeError(m.code, m.message, 0, m.details));
      return;
    }
    if (m.type === 'pong') return;
    if (m.executionId && !this.executionId) {
      this.executionId = m.executionId;
      this.resolveId(m.executionId);
      for (const p of this.pending.splice(0)) this.sendRaw(p);
    }
    if (typeof m.seq === 'number' && m.seq > 0) {
      if (m.seq <= this.lastSeq && m.type !== 'result') return; // duplicate after a resubscribe
      this.lastSeq = Math.max(this.lastSeq, m.seq);
    }
    if (m.type === 'output') {
      this.push({
        ...m,
        bytes: m.encoding === 'base64' ? fromBase64(m.data) : new TextEncoder().encode(m.data),
      });
    } else if (m.type === 'status' || m.type === 'test') {
      this.push(m);
    } else if (m.type === 'result') {
      const rest = { ...m } as Frame;
      delete rest.type;
      this.result = rest as Execution;
      this.push(m);
      this.finish();
    }
  }

  private sendRaw(text: string) {
    if (this.socket && this.socket.readyState === 1) this.socket.send(text);
  }
  private sendFor(msg: Record<string, unknown>) {
    if (this.done) return;
    if (!this.executionId) {
      this.pending.push(JSON.stringify(msg));
      return;
    }
    this.sendRaw(JSON.stringify({ ...msg, executionId: this.executionId }));
  }

  /** Sends input to the running (interactive) program. */
  stdin(data: string | Uint8Array): void {
    if (typeof data === 'string') this.sendFor({ type: 'stdin', data });
    else this.sendFor({ type: 'stdin', data: toBase64(data), encoding: 'base64' });
  }
  closeStdin(): void {
    this.sendFor({ type: 'stdin_close' });
  }
  cancel(): void {
    this.sendFor({ type: 'cancel' });
  }
  /** Stops following (the execution goes on). */
  close(): void {
    this.finish();
  }

  /** Resolves with the final result (consuming the events). */
  async finished(): Promise<Execution> {
    const it = this[Symbol.asyncIterator]();
    while (!(await it.next()).done) {
      // drain
    }
    if (!this.result) throw this.failure ?? new MuscodeError('connection_closed', 'no result', 0);
    return this.result;
  }

  private push(e: RunEvent) {
    this.queue.push(e);
    for (const w of this.waiters.splice(0)) w();
  }
  private fail(err: MuscodeError) {
    if (this.done) return;
    this.failure = err;
    this.finish();
  }
  private finish() {
    if (this.done) return;
    this.done = true;
    const s = this.socket;
    this.socket = null;
    try {
      s?.close(1000);
    } catch {
      // already closed
    }
    for (const w of this.waiters.splice(0)) w();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RunEvent> {
    for (;;) {
      const e = this.queue.shift();
      if (e) {
        yield e;
        continue;
      }
      if (this.done) {
        if (this.failure && !this.result) throw this.failure;
        return;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Test hook: drops the connection as a network failure would (the run reconnects). */
  dropConnection(): void {
    const s = this.socket;
    if (!s || !s.onclose) return;
    const onclose = s.onclose;
    s.onclose = null;
    s.onmessage = null;
    s.close(1000);
    onclose({ code: 1006, reason: 'dropped' });
  }
}

const enc = encodeURIComponent;

/** The `error` of an error envelope, if `body` is one. */
function errorOf(body: unknown): { code?: unknown; message?: unknown; details?: unknown } | undefined {
  if (!body || typeof body !== 'object' || !('error' in body)) return undefined;
  const err = (body as { error: unknown }).error;
  return err && typeof err === 'object' ? err : undefined;
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
function toBase64(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

/**
 * Every operation of the public API the client covers, in the OpenAPI document's spelling. The
 * client's test compares it with the live `/api/v1/openapi.json` both ways, so a route added to
 * or removed from the API without the client following fails the test command.
 */
export const clientRoutes: readonly string[] = [
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/logout',
  'GET /api/v1/auth/me',
  'POST /api/v1/execute',
  'POST /api/v1/execute/batch',
  'GET /api/v1/execute/{executionId}',
  'GET /api/v1/execute/{executionId}/output/{stream}',
  'GET /api/v1/execute/{executionId}/artifacts',
  'GET /api/v1/execute/{executionId}/artifacts/{artifactId}',
  'GET /api/v1/artifacts/{artifactId}',
  'POST /api/v1/execute/{executionId}/cancel',
  'GET /api/v1/executions',
  'GET /api/v1/projects',
  'GET /api/v1/projects/public',
  'POST /api/v1/projects',
  'GET /api/v1/projects/{projectId}',
  'PUT /api/v1/projects/{projectId}',
  'PATCH /api/v1/projects/{projectId}',
  'DELETE /api/v1/projects/{projectId}',
  'POST /api/v1/projects/{projectId}/fork',
  'GET /api/v1/projects/{projectId}/archive',
  'POST /api/v1/projects/import',
  'PUT /api/v1/projects/{projectId}/star',
  'DELETE /api/v1/projects/{projectId}/star',
  'POST /api/v1/projects/{projectId}/run',
  'GET /api/v1/projects/{projectId}/files/{fileId}',
  'POST /api/v1/projects/{projectId}/files',
  'PUT /api/v1/projects/{projectId}/files/{fileId}',
  'DELETE /api/v1/projects/{projectId}/files/{fileId}',
  'GET /api/v1/projects/{projectId}/comments',
  'POST /api/v1/projects/{projectId}/comments',
  'PATCH /api/v1/projects/{projectId}/comments/{commentId}',
  'DELETE /api/v1/projects/{projectId}/comments/{commentId}',
  'GET /api/v1/test-sets',
  'POST /api/v1/test-sets',
  'GET /api/v1/test-sets/{testSetId}',
  'PUT /api/v1/test-sets/{testSetId}',
  'DELETE /api/v1/test-sets/{testSetId}',
  'POST /api/v1/api-keys',
  'GET /api/v1/api-keys',
  'DELETE /api/v1/api-keys/{keyId}',
  'GET /api/v1/languages',
  'GET /api/v1/health',
];
