import { Type } from '@fastify/type-provider-typebox';
import type { Api, RouteContext } from '../route-context.ts';
import { NoQuery } from '../schemas.ts';

const WebSettings = Type.Object({
  timeZone: Type.String({ description: 'IANA zone the box shows times in, e.g. Asia/Shanghai' }),
  village: Type.Union([Type.String(), Type.Null()], { description: 'the village name from the config, if set' }),
});

/** What the browser app needs before anyone logs in (the login page shows the village name). */
export async function webRoutes(app: Api, { options }: RouteContext): Promise<void> {
  app.get(
    '/api/web/settings',
    { config: { access: 'public' }, schema: { tags: ['web'], operationId: 'getWebSettings', summary: 'Time zone and village name for the browser app', querystring: NoQuery, response: { 200: WebSettings } } },
    async () => ({ timeZone: options.timeZone, village: options.village?.name ?? null }),
  );
}
