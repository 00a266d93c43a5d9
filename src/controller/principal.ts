// Who is calling: computed from the bearer token by auth.ts, read by access.ts.

export type Principal =
  | { role: 'admin'; tokenName: string }
  | { role: 'customer'; customer: string; tokenName: string; /** The token's id (tokens.ts tokenId), so a listing can say which is the caller's. */ tokenId: string }
  | { role: 'engine'; tokenName: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every route that is not public. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** No token needed (health). */
    public?: boolean;
  }
}
