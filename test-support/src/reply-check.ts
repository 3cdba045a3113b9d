import { Ajv2020 } from 'ajv/dist/2020.js';

/** The parts of an OpenAPI 3.1 document a reply is checked against. */
export interface OpenApiDoc {
  paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
}

interface Route {
  template: string;
  pattern: RegExp;
  params: number;
}

/**
 * Holds replies to the OpenAPI document their server publishes: the status is
 * documented for the route, and a JSON body matches the documented schema.
 * The API tests run every reply through it, so the document cannot drift from
 * what the routes send. Routes that document no success reply at all are left
 * to the contract test (scripts/openapi/contract.test.ts), which names them.
 */
export class ReplyChecker {
  readonly #doc: OpenApiDoc;
  readonly #ajv: Ajv2020;
  readonly #routes: Route[];
  readonly #validators = new Map<string, (body: unknown) => boolean>();

  constructor(doc: OpenApiDoc) {
    this.#doc = doc;
    // Checks shapes only: formats like `binary` and our `x-` extensions are documentation.
    this.#ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    this.#ajv.addSchema(doc as object, 'openapi.json');
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.#routes = Object.keys(doc.paths)
      .map((template) => {
        const parts = template.split(/\{[^}]+\}/);
        return { template, pattern: new RegExp(`^${parts.map(escape).join('[^/]+?')}$`), params: parts.length - 1 };
      })
      // A static path before a template that also matches it (/api/residents/stats before /api/residents/{id}).
      .sort((a, b) => a.params - b.params);
  }

  /** What is wrong with this reply, or null when the document describes it. */
  check(method: string, url: string, status: number, contentType: string | undefined, body: string): string | null {
    const path = url.split('?')[0]!;
    const route = this.#routes.find((r) => r.pattern.test(path));
    // Hidden routes (the /docs UI) and unknown paths: finding undocumented routes is the contract test's job.
    if (!route) return null;
    const op = this.#doc.paths[route.template]![method.toLowerCase()];
    if (!op) return status === 404 ? null : `${method} ${route.template} is not documented`;
    const responses = op.responses ?? {};
    if (!Object.keys(responses).some((s) => s.startsWith('2'))) return null;
    const key = [String(status), `${String(status)[0]}XX`].find((k) => responses[k]);
    if (!key) return `${method} ${route.template} answered ${status}, which its document does not list (${Object.keys(responses).join(', ')})`;
    const content = responses[key]!.content;
    if (!content) return body === '' ? null : `${method} ${route.template} ${status}: a body where the document says none`;
    const type = (contentType ?? '').split(';')[0]!.trim();
    const ranges = [type, `${type.split('/')[0]}/*`, '*/*'];
    if (!ranges.some((r) => content[r])) return `${method} ${route.template} ${status}: content type ${type || '(none)'} is not documented (${Object.keys(content).join(', ')})`;
    if (type !== 'application/json') return null;
    const ref = `openapi.json#/paths/${route.template.replaceAll('~', '~0').replaceAll('/', '~1')}/${method.toLowerCase()}/responses/${key}/content/application~1json/schema`;
    let validate = this.#validators.get(ref);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: ref });
      this.#validators.set(ref, validate);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return `${method} ${route.template} ${status}: the body is not JSON`;
    }
    if (validate(parsed)) return null;
    const errors = (validate as unknown as { errors: Array<{ instancePath: string; message?: string; params?: unknown }> }).errors;
    return `${method} ${route.template} ${status}: the reply does not match its document: ${errors.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('; ')}`;
  }
}
