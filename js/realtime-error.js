// The package's one error class: a real Error (with a stack) carrying the server's code.
export class RealtimeError extends Error {
  constructor(message, code, kind, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RealtimeError';
    this.code = code;
    this.kind = kind;
  }
}

export function createRealtimeError(message, code, kind, cause) {
  return new RealtimeError(message, code, kind, cause);
}
