// Engine errors: each with a stable code, an HTTP status and a message a user can act on.
// Every code is listed in README.md (errors.test.ts checks it).

import { CorralError } from '../lib/errors.ts';

export class EngineError extends CorralError {}

/** A name from the store (VS, site, sha256) that is unsafe to use in a file path. */
export class InvalidNameError extends EngineError {
  constructor(what: string, value: string) {
    super('ENGINE_INVALID_NAME', 400, `invalid ${what} ${JSON.stringify(value)}: use lowercase letters, digits and hyphens`);
  }
}

/** runtime.start() for a VS name that is already running. */
export class VsAlreadyRunningError extends EngineError {
  constructor(vs: string) {
    super('ENGINE_VS_ALREADY_RUNNING', 409, `virtual server ${vs} is already running; stop it first`);
  }
}

/** An app site without a command. */
export class MissingCommandError extends EngineError {
  constructor(vs: string) {
    super('ENGINE_MISSING_COMMAND', 400, `virtual server ${vs} is an app site without a command; set the site's command`);
  }
}

/** No loopback address left in 127.77.0.0/16. */
export class AddressesExhaustedError extends EngineError {
  constructor() {
    super('ENGINE_ADDRESSES_EXHAUSTED', 503, 'no free loopback address left in 127.77.0.0/16; stop some virtual servers');
  }
}

/** The runtime was destroyed; it starts nothing more. */
export class RuntimeClosedError extends EngineError {
  constructor() {
    super('ENGINE_RUNTIME_CLOSED', 503, 'the runtime has been shut down; start a new engine');
  }
}
