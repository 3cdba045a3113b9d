import { Type } from '@fastify/type-provider-typebox';
import { METRICS_CONTENT_TYPE, type EdgeMetrics } from '../../metrics/metrics.ts';
import type { Api, RouteContext } from '../route-context.ts';
import { Binary } from '../replies.ts';
import { NoQuery } from '../schemas.ts';

const Healthz = Type.Object({ status: Type.Literal('ok') });
const Unhealthy = Type.Object({ status: Type.Literal('fail'), failing: Type.Array(Type.String()) }, { description: 'A liveness check fails: its name, nothing more' });

/** Counts every answer by route pattern and status; installed before any route so none escapes it. */
export function countResponses(app: Api, metrics: EdgeMetrics): void {
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpResponse(req.method, req.routeOptions.url, reply.statusCode);
  });
}

/**
 * GET /metrics (Prometheus text) and GET /healthz (for systemd checks and load
 * balancers). Both without a login: the metrics name cameras by id and routes by
 * pattern, nothing personal; /healthz says only which check fails.
 */
export async function observabilityRoutes(app: Api, { deps }: RouteContext): Promise<void> {
  const o = deps.observability;
  if (!o) return;
  app.get('/metrics', { config: { access: 'public' }, schema: { tags: ['health'], summary: 'Prometheus metrics (text format 0.0.4)', querystring: NoQuery, response: { 200: Binary('The metrics', 'text/plain') } } }, async (_req, reply) => {
    return reply.type(METRICS_CONTENT_TYPE).send(await o.metrics.text());
  });
  app.get('/healthz', { config: { access: 'public' }, schema: { tags: ['health'], summary: 'Liveness: database answers, recorders answer, disk not full', querystring: NoQuery, response: { 200: Healthz, 503: Unhealthy } } }, async (_req, reply) => {
    const failing = await o.liveness();
    if (failing.length > 0) return reply.status(503).send({ status: 'fail' as const, failing });
    return { status: 'ok' as const };
  });
}
