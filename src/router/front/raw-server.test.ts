// The raw front (raw-server.ts) against the front contract: what node:http would do, it
// must do alike — including handing requests with a body to node:http mid-connection.
import { frontContract } from './front.contract.ts';

frontContract('raw');
