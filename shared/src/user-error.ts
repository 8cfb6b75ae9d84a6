// An error meant for the operator: printed as one line (`vigil: <message>`), never as a stack trace.
// The CLI's own errors and the log reader's (no such cluster, the log does not answer) share it, so
// an error raised deep in a read reaches the operator as clearly as a bad flag does.
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
