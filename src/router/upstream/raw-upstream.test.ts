// The raw upstream (raw-upstreams.ts, the default) against the upstream contract.
import { upstreamContract } from './upstream.contract.ts';

upstreamContract('raw');
