/**
 * The OpenAPI operationId of a route that names none: the method, then each
 * path segment in PascalCase (`:id` reads `ById`, a file suffix is a word).
 * Derived from what makes a route unique (method and path), so it is unique and
 * changes only when the route does: `GET /api/tickets/:id/history` →
 * `getTicketsByIdHistory`. The `/api` prefix every route shares is left out.
 */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((s, i) => s !== '' && !(i === 1 && s === 'api'))
    .flatMap((segment) => segment.split(/(?=:)/))
    .flatMap((part) => (part.startsWith(':') ? ['by', ...part.slice(1).split(/[^A-Za-z0-9]+/)] : part.split(/[^A-Za-z0-9]+/)))
    .filter((w) => w !== '');
  const pascal = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
  return method.toLowerCase() + words.map((w) => pascal(w.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()))).join('');
}
