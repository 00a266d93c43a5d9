// Query strings and path parameters arrive as text, and TypeBox's Convert (which the
// type provider's validator runs on them) reads a number as JavaScript's Number() does:
// `?limit=0x10` was 16, and `1e1`, `+5`, `5.0`, ` 5` and `007` numbers too. The API takes
// an integer there only as decimal digits, as the CLI does (cli/commands/numbers.ts);
// anything else is the usual 400 naming the field, before the schema's own checks.

import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import type { SchemaError } from './validation-message.ts';

const DECIMAL = /^(?:0|-?[1-9][0-9]*)$/;

export const strictValidatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  const check = TypeBoxValidatorCompiler(route);
  const properties = (route.schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (route.httpPart === 'body' || properties === undefined) return check;
  const integers = Object.keys(properties).filter((key) => properties[key]?.type === 'integer');
  if (integers.length === 0) return check;
  return (value: unknown) => {
    const given = value as Record<string, unknown>;
    const errors: SchemaError[] = [];
    for (const key of integers) {
      const v = given[key];
      if (typeof v === 'string' && !DECIMAL.test(v)) errors.push({ keyword: 'type', instancePath: `/${key}`, message: `must be a whole number in decimal digits (got ${JSON.stringify(v.slice(0, 40))})` });
    }
    return errors.length > 0 ? { error: errors as never } : check(value);
  };
};
