/**
 * A start-up failure the operator must fix; main prints it as one line and exits 2. In a
 * file of its own: stdio start-up needs it without loading the HTTP adapters.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
