// Turns schema validation errors (TypeBox's, in ajv's shape) into one readable sentence
// that names the field, e.g. `body.name must be 2–40 lowercase letters…` or
// `body has unknown field "foo"`.

import { patternHints } from './schemas.ts';

export interface SchemaError {
  keyword: string;
  instancePath: string;
  /** Where in the schema; `…/propertyNames` when a key (e.g. an env name) is refused. */
  schemaPath?: string;
  params?: Record<string, unknown>;
  message?: string;
}

const MAX_REPORTED = 3;

export function validationMessage(errors: readonly SchemaError[], part: string): string {
  const hasUnknownField = errors.some((e) => e.keyword === 'additionalProperties');
  // a refused key is reported once, by the keyword that says why (its pattern), not again as "propertyNames"
  // a nullable field (`value | null`, a PATCH's "remove it"): its value's rule is the one to report
  const nullable = new Set(errors.filter(isNullAlternative).map((e) => e.instancePath));
  const useful = errors.filter((e) => !(hasUnknownField && e.keyword === 'boolean') && e.keyword !== 'propertyNames'
    && !(nullable.has(e.instancePath) && (e.keyword === 'anyOf' || isNullAlternative(e))));
  const lines = [...new Set(useful.map((e) => describe(e, part)))];
  const shown = lines.slice(0, MAX_REPORTED).join('; ');
  return lines.length > MAX_REPORTED ? `${shown}; and ${lines.length - MAX_REPORTED} more` : shown;
}

function isNullAlternative(e: SchemaError): boolean {
  return e.keyword === 'type' && (e.params?.type === 'null' || e.message === 'must be null');
}

/** `body` + `/domains/0/x` → `body.domains[0].x`. */
export function fieldPath(part: string, instancePath: string): string {
  const segments = instancePath.split('/').filter((s) => s !== '');
  return segments.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : `${acc}.${s.replace(/~1/g, '/').replace(/~0/g, '~')}`), part);
}

function describe(e: SchemaError, part: string): string {
  const where = e.schemaPath?.endsWith('/propertyNames') ? keyPath(part, e.instancePath) : fieldPath(part, e.instancePath);
  const p = e.params ?? {};
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where} has unknown field ${names(p.additionalProperties ?? p.additionalProperty)}`;
    case 'required': {
      const missing = [p.requiredProperties ?? p.missingProperty].flat();
      return `${where} is missing required field${missing.length > 1 ? 's' : ''} ${names(missing)}`;
    }
    case 'pattern': {
      const hint = patternHints[String(p.pattern)];
      return hint ? `${where} must be ${hint}` : `${where} ${e.message ?? 'does not match its pattern'}`;
    }
    case 'enum':
      return `${where} must be one of ${names(p.allowedValues)}`;
    default:
      return `${where} ${e.message ?? `fails ${e.keyword}`}`;
  }
}

/** `body` + `/env/lower` (a refused key) → `body.env key "lower"`. */
function keyPath(part: string, instancePath: string): string {
  const at = instancePath.lastIndexOf('/');
  const key = instancePath.slice(at + 1).replace(/~1/g, '/').replace(/~0/g, '~');
  return `${fieldPath(part, instancePath.slice(0, at))} key ${JSON.stringify(key)}`;
}

function names(value: unknown): string {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => JSON.stringify(v)).join(', ');
}
