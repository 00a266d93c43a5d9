// node:http's front (node-front.ts, rawFront off) against the front contract.
import { frontContract } from './front.contract.ts';

frontContract('node');
