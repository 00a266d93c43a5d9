// The base error of Corral: a stable code, an HTTP status and a message a user can act on.
// Each part defines its subclasses in its own errors.ts.

export class CorralError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}
