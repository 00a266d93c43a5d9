// The router role alone (`corral router`): a router process loads the router, the store
// client and what joining needs — no controller, engine or database code, which
// src/cluster/index.ts brings with the other roles (≈ 0.4 s more at every router start).
export { startRouterNode, type RouterNode, type RouterNodeOptions } from './router-node.ts';
