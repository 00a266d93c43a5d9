// The router's balancing policies, named once: the schema (schemas.ts), the record type
// (records.ts), the router's balancers and the CLI's --balance all take them from here.
// Loads nothing (the CLI's light commands import it directly).

export const BALANCE_POLICIES = Object.freeze(['round-robin', 'least-conn', 'weighted', 'sticky', 'hash'] as const);

export type BalancePolicy = (typeof BALANCE_POLICIES)[number];

export function isBalancePolicy(v: unknown): v is BalancePolicy {
  return (BALANCE_POLICIES as readonly unknown[]).includes(v);
}
