import type { AuthenticatedKey, Scope } from '../auth/api-key-store.js';
import type { RouteDocs } from './zod-schema.js';

/**
 * Who may call a route: a list of scopes (any one suffices; `[]` = any valid key), `public` (no
 * key: only `/healthz`), or `scan-token` (the signed link of the scan page).
 */
export type RouteAuth = readonly Scope[] | 'public' | 'scan-token';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    docs?: RouteDocs;
  }
  interface FastifyRequest {
    /** The caller, once the API key was verified (absent on public and scan-token routes). */
    apiKey?: AuthenticatedKey;
  }
}
