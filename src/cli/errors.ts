// CLI errors: printed as one clear line (never a stack trace) and exit code 1.
import { CorralError } from '../lib/errors.ts';

export class CliError extends CorralError {
  constructor(message: string, code = 'cli_error') {
    super(code, 1, message);
  }
}

/** The API answered with an error document. */
export class ApiError extends CorralError {
  constructor(status: number, code: string, message: string) {
    super(code, status, message);
  }
}
