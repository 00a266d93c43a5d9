// The name a create command is given, checked before it is sent: the API's rule (the
// model's patterns), said in the command's words ("site name "z" must be …") rather than
// the API's field path (body.name).
import { patternHints, patterns } from '../../model/patterns.ts';
import { CliError } from '../errors.ts';

/** `name` when it is a valid name for a new site or customer, else a CliError naming the rule. */
export function newName(what: 'site' | 'customer', name: string): string {
  const pattern = patterns[what];
  if (!new RegExp(pattern).test(name)) throw new CliError(`${what} name ${JSON.stringify(name)} must be ${patternHints[pattern]}`);
  return name;
}
