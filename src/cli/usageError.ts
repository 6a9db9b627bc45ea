/** Bad use of a command (an unknown server, a malformed option): the CLI prints the message and exits 2. */
export class UsageError extends Error {}
