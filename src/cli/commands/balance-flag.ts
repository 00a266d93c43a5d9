// --balance and --weight for `corral site create` / `corral site set`: the router's
// balancing policy per site, as the API's `balance` object.
//   round-robin | least-conn | weighted | sticky[:COOKIE] | hash:ip | hash:header:NAME | hash:cookie:NAME
//   --weight ENGINE=N (repeatable, with weighted)
import { BALANCE_POLICIES, isBalancePolicy } from '../../model/balance-policies.ts';
import { CliError } from '../errors.ts';

/** Each policy as --balance spells it (the names from the model, with their ":" parts). */
const SPELLINGS: Record<string, string> = { sticky: 'sticky[:cookie]', hash: 'hash:ip, hash:header:NAME or hash:cookie:NAME' };
export const BALANCE_HELP = `balancing: ${BALANCE_POLICIES.map((p) => SPELLINGS[p] ?? p).join(', ')}`;
export const WEIGHT_HELP = 'with --balance weighted: ENGINE=N, 1–100 (repeatable; engines not listed weigh 1)';

export function balanceBody(spec: string, weights: string[]): Record<string, unknown> {
  const [policy, a, b] = spec.split(':');
  if (!isBalancePolicy(policy)) throw new CliError(`--balance must be one of: ${BALANCE_HELP.slice('balancing: '.length)}; got "${spec}"`);
  const out: Record<string, unknown> = { policy };
  if (policy === 'sticky') {
    if (a !== undefined) out.key = a;
  } else if (policy === 'hash') {
    if (a === 'ip' && b === undefined) out.hashOn = 'ip';
    else if ((a === 'header' || a === 'cookie') && b) Object.assign(out, { hashOn: a, key: b });
    else throw new CliError('--balance hash needs ip, header:NAME or cookie:NAME, e.g. hash:cookie:session');
  } else if (a !== undefined) throw new CliError(`--balance ${policy} takes no ":" part`);
  if (weights.length > 0) {
    if (policy !== 'weighted') throw new CliError('--weight goes with --balance weighted');
    out.weights = Object.fromEntries(
      weights.map((w) => {
        const m = /^([^=]+)=(\d+)$/.exec(w);
        if (!m) throw new CliError(`--weight must be ENGINE=N, got "${w}"`);
        return [m[1], Number(m[2])];
      }),
    );
  }
  return out;
}
