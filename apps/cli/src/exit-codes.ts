import { AggregateSpecError, FlotillaError } from '#contracts';

/** The one place that maps errors to exit codes and messages. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unexpected: 70 } as const;

export function reportError(error: unknown, write: (line: string) => void): number {
  if (error instanceof FlotillaError && typeof (error as { exitCode?: unknown }).exitCode === 'number') {
    write(`error: ${error.message}`);
    return (error as unknown as { exitCode: number }).exitCode;
  }
  if (error instanceof AggregateSpecError) {
    write(`error: ${error.errors.length} problems:`);
    for (const inner of error.errors) write(`  ${inner.message}`);
    return EXIT.failed;
  }
  if (error instanceof FlotillaError) {
    write(`error: ${error.message}`);
    return EXIT.failed;
  }
  write(`error: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return EXIT.unexpected;
}
