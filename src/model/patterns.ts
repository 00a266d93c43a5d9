// The patterns of names and values the schemas (schemas.ts) check, with what each means
// for messages. Its own module, importing nothing, so the CLI can check a name it is
// given without loading TypeBox.

export const patterns = {
  customer: '^[a-z][a-z0-9-]{1,38}$',
  site: '^[a-z][a-z0-9-]{0,38}[a-z0-9]$',
  /** A lowercase hostname, optionally with a leading `*.` label. */
  domain: '^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
  release: '^v[1-9][0-9]{0,9}$',
  sha256: '^[a-f0-9]{64}$',
  /** An engine id or a virtual server's name (a hostname label's characters). */
  label: '^[a-z0-9][a-z0-9-]{0,62}$',
  /**
   * RFC 3986 origin-form, what an HTTP request line carries: an absolute path, then an
   * optional query; other characters (spaces, controls, non-ASCII) percent-encoded.
   */
  path: "^/([A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*(\\?([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?$",
  /** An environment variable a site may set: not PORT, HOST or CORRAL_*, which the engine sets. */
  envName: '^(?!(PORT|HOST)$|CORRAL_)[A-Z_][A-Z0-9_]*$',
  /** One line of text: no control characters (C0, DEL). */
  line: '^[^\\u0000-\\u001f\\u007f]*$',
  /** Text without NUL, which no process environment or page can hold. */
  noNul: '^[^\\u0000]*$',
  /** An HTTP token (RFC 9110): a header or cookie name. */
  token: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$",
} as const;

/** What each pattern means, for validation messages: "<field> must be <hint>". */
export const patternHints: Record<string, string> = {
  [patterns.customer]: '2–39 lowercase letters, digits or dashes, starting with a letter',
  [patterns.site]: '2–40 lowercase letters, digits or dashes, starting with a letter and not ending with a dash',
  [patterns.domain]: 'a lowercase hostname such as www.example.com (a leading "*." is allowed)',
  [patterns.release]: 'a release id such as v1',
  [patterns.sha256]: '64 lowercase hex digits',
  [patterns.label]: 'an engine id: lowercase letters, digits or dashes, starting with a letter or digit (at most 63)',
  [patterns.path]:
    'a URL path such as /health or /health?full=1: starting with /, with spaces, control characters and characters outside RFC 3986 percent-encoded (%20)',
  [patterns.envName]: 'uppercase letters, digits or "_", not starting with a digit; PORT, HOST and CORRAL_* are reserved (Corral sets them)',
  [patterns.line]: 'one line of text without control characters (no NUL, tab, CR or LF)',
  [patterns.noNul]: 'text without NUL characters (\\u0000)',
  [patterns.token]: 'a header or cookie name: 1–64 letters, digits or !#$%&\'*+.^_`|~-',
};
