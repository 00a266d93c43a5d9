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
  constructor(range = '127.77.0.0/16') {
    super('ENGINE_ADDRESSES_EXHAUSTED', 503, `no free address left in ${range}; stop some virtual servers`);
  }
}

/** The runtime was destroyed; it starts nothing more. */
export class RuntimeClosedError extends EngineError {
  constructor() {
    super('ENGINE_RUNTIME_CLOSED', 503, 'the runtime has been shut down; start a new engine');
  }
}

/** The namespace runtime's subnet option is not an IPv4 CIDR it can use. */
export class InvalidSubnetError extends EngineError {
  constructor(cidr: string) {
    super('ENGINE_INVALID_SUBNET', 400, `invalid guest subnet ${JSON.stringify(cidr)}: use an aligned IPv4 CIDR between /8 and /29, e.g. 10.213.0.0/24`);
  }
}

/** The namespace runtime cannot run here (not Linux, not root, bwrap/ip/cgroups missing). */
export class NamespaceUnavailableError extends EngineError {
  constructor(reason: string) {
    super('ENGINE_NAMESPACE_UNAVAILABLE', 503, `the namespace runtime cannot run on this machine: ${reason}; use --runtime process`);
  }
}

/** A host command the namespace runtime runs (ip, bridge) failed. */
export class HostCommandError extends EngineError {
  constructor(command: string, detail: string) {
    super('ENGINE_HOST_COMMAND_FAILED', 500, `${command} failed: ${detail}`);
  }
}

/** exec into a VS that is not running on this engine. */
export class VsNotRunningError extends EngineError {
  constructor(vs: string) {
    super('ENGINE_VS_NOT_RUNNING', 404, `virtual server ${vs} is not running on this engine`);
  }
}

/** exec is not supported by this runtime. */
export class ExecUnsupportedError extends EngineError {
  constructor(runtime: string) {
    super('ENGINE_EXEC_UNSUPPORTED', 501, `the ${runtime} runtime cannot run commands inside a virtual server; use the namespace runtime`);
  }
}
