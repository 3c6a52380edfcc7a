/** A failure caused by the user's input (file, flag): the CLI prints its message as one line. */
export class UserError extends Error {
  override readonly name = "UserError";
}
