import { Type } from '@fastify/type-provider-typebox';
import type { ScreenFeed } from '../../screen/feed.ts';
import { SseStream } from '../../screen/sse.ts';
import type { Api, RouteContext } from '../route-context.ts';
import { allows } from '../permissions.ts';
import { NoQuery, Nullable } from '../schemas.ts';

const Int = Type.Integer();
const Ms = Type.Number({ description: 'epoch ms' });
const NStr = Nullable(Type.String());

/** The wire contract of shared/src/governance/screen.ts (ScreenSummary), as a response schema. */
const ScreenSummarySchema = Type.Object({
  at: Ms,
  village: Type.Object({ name: NStr, households: Int, population: Int }),
  cameras: Type.Object({
    total: Int,
    online: Int,
    offline: Int,
    list: Type.Array(Type.Object({ id: Int, name: Type.String(), zone: NStr, online: Type.Boolean(), state: Type.String(), since: Nullable(Ms) })),
  }),
  events: Type.Object({
    latest: Type.Array(Type.Object({ id: Int, cameraId: Nullable(Int), zone: NStr, type: Type.String(), at: Ms })),
    motionByZone: Type.Array(Type.Object({ zone: Type.String(), count: Int })),
  }),
  activityByHour: Type.Array(Type.Object({ hour: Int, from: Ms, count: Int }), { description: '24 rows, oldest first; Beijing-time hour' }),
  tickets: Type.Object({
    today: Int,
    open: Int,
    overdue: Int,
    due: Type.Array(Type.Object({ id: Type.String(), category: NStr, categoryName: NStr, place: NStr, status: Type.String(), createdAt: Nullable(Ms), deadline: Ms, overdue: Type.Boolean() })),
  }),
  help: Type.Object({ open: Int, byType: Type.Array(Type.Object({ type: NStr, name: NStr, count: Int, urgent: Int })) }),
  announcements: Type.Array(Type.Object({ id: Type.String(), category: NStr, categoryName: NStr, title: Type.String(), publishedAt: Nullable(Ms) })),
  partyTop: Type.Object({ month: Type.String(), rows: Type.Array(Type.Object({ rank: Int, name: Type.String(), branch: Type.String(), points: Type.Number() })) }),
  storage: Type.Object({ daysLeft: Nullable(Type.Number()), freeBytes: Nullable(Type.Number()), totalBytes: Nullable(Type.Number()), warnings: Type.Array(Type.String()) }),
  cloud: Nullable(Type.Object({ connected: Type.Boolean() })),
});

/** The office big screen: its aggregates, and the same pushed as Server-Sent Events. */
export async function screenRoutes(app: Api, { deps, authenticate }: RouteContext): Promise<void> {
  const feed: ScreenFeed | undefined = deps.screen;
  if (!feed) return;
  const tags = ['screen'];

  app.get(
    '/api/screen/summary',
    {
      config: { access: 'screen.view' },
      schema: { tags, operationId: 'getScreenSummary', summary: 'Everything the office big screen shows: counts and public facts, never who (cached for 2 s)', querystring: NoQuery, response: { 200: Type.Object({ id: Type.String(), summary: ScreenSummarySchema }) } },
    },
    async (_req, reply) => {
      const u = feed.current();
      void reply.header('cache-control', 'no-store').header('etag', `"${u.id}"`);
      return { id: u.id, summary: u.summary };
    },
  );

  app.get(
    '/api/screen/stream',
    {
      config: { access: 'screen.view' },
      schema: {
        tags,
        operationId: 'streamScreen',
        summary: 'Server-Sent Events: `summary` (whole) on connect and after a slow client caught up, `delta` (changed sections) on each change; `Last-Event-ID` skips the first summary when current',
        querystring: NoQuery,
        response: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: Type.String() } } } },
      },
    },
    async (req, reply) => {
      const caller = req.principal!;
      const stillAllowed = () => {
        const now = authenticate(req);
        return now !== null && now.userId === caller.userId && allows(now.role, 'screen.view');
      };
      const stream = new SseStream(reply.raw, { clock: deps.clock, latest: () => feed.current(), stillAllowed });
      // Refused (503) before anything is written when the cap is reached.
      const leave = feed.subscribe(stream);
      // The response's 'close': the connection ended (the screen went away) or the stream was ended here.
      reply.raw.once('close', () => {
        leave();
        stream.close();
      });
      reply.hijack();
      const last = req.headers['last-event-id'];
      stream.open(typeof last === 'string' ? last : undefined);
    },
  );
}
