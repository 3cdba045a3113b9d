/**
 * The operator's side of the cloud's HTTP API (http.ts), for `cunbox-cloud`.
 * The CLI talks to the running cloud rather than opening cloud.db: a pairing
 * code, a village or a presence must come from the process that owns the
 * database, its clock and its sync engine (see docs/design/cloud-cli.md).
 * Every failure is a CliError with its exit status; the token is never
 * printed or echoed.
 */
import type { EdgeSummary, VillageSummary } from '../store.ts';
import { CliError } from './cli-error.ts';

export interface PairCode {
  code: string;
  expiresAt: number;
}

export class OperatorClient {
  readonly #url: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;

  constructor(deps: { url: string; token: string; fetch?: typeof fetch }) {
    this.#url = deps.url;
    this.#token = deps.token;
    this.#fetch = deps.fetch ?? fetch;
  }

  async villages(): Promise<VillageSummary[]> {
    return (await this.#call<{ villages: VillageSummary[] }>('GET', '/api/villages')).villages;
  }

  async addVillage(name: string): Promise<{ id: number; name: string }> {
    return this.#call('POST', '/api/villages', { name });
  }

  async pairCode(villageId: number): Promise<PairCode> {
    return this.#call('POST', `/api/villages/${villageId}/pair-codes`);
  }

  async edges(villageId?: number): Promise<EdgeSummary[]> {
    return (await this.#call<{ edges: EdgeSummary[] }>('GET', villageId === undefined ? '/api/edges' : `/api/edges?village=${villageId}`)).edges;
  }

  async revoke(edgeId: string): Promise<{ edgeId: string; revoked: boolean }> {
    return this.#call('POST', `/api/edges/${encodeURIComponent(edgeId)}/revoke`);
  }

  /** A village by its id or its exact name. */
  async village(ref: string): Promise<VillageSummary> {
    const all = await this.villages();
    const found = /^\d+$/.test(ref) ? all.filter((v) => v.id === Number(ref)) : all.filter((v) => v.name === ref);
    if (found.length === 0) throw new CliError('NOT_FOUND', 'no village with id or name "{ref}"', { ref }, 'cunbox-cloud villages list shows them');
    if (found.length > 1) throw new CliError('INVALID_INPUT', 'several villages are named "{ref}": give the id', { ref }, 'cunbox-cloud villages list shows them');
    return found[0]!;
  }

  async #call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.#fetch(new URL(path, this.#url), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError('UNAVAILABLE', 'cannot reach the cloud at {url}: {reason}', { url: this.#url, reason: cause?.code ?? cause?.message ?? (err as Error).message }, 'is cunbox-cloud serve running, and is this its address?');
    }
    const text = await res.text();
    let json: { error?: { code?: string; message?: string } } | undefined;
    try {
      json = text ? (JSON.parse(text) as typeof json) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok && json) return json as T;
    const message = json?.error?.message ?? text.slice(0, 200);
    if (res.status === 401) throw new CliError('FORBIDDEN', 'the cloud refused the operator token', {}, 'check --token-file (the operator_token_file of the cloud config)');
    if (res.status === 404 && json?.error?.code === 'NOT_FOUND') throw new CliError('NOT_FOUND', 'the cloud says: {message}', { message });
    if (res.status === 400) throw new CliError('INVALID_INPUT', 'the cloud refused the request: {message}', { message });
    throw new CliError('UNAVAILABLE', 'the cloud answered HTTP {status}: {message}', { status: res.status, message }, 'is this the address of cunbox-cloud serve?');
  }
}
