// The undici upstream (upstream-pools.ts; every request with rawUpstream off) against the upstream contract.
import { upstreamContract } from './upstream.contract.ts';

upstreamContract('undici');
