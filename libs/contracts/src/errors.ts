/**
 * The small family of domain errors shared by the hub, the agent and the CLI.
 * Each carries a stable `code`; the CLI maps codes to exit codes in one place and the
 * hub maps them to HTTP statuses in one exception filter.
 */
export type FlotillaErrorCode = 'SPEC_INVALID' | 'RENDER_FAILED' | 'SOURCE_FAILED' | 'INPUT_INVALID' | 'HUB_REQUEST_FAILED';

export abstract class FlotillaError extends Error {
  abstract readonly code: FlotillaErrorCode;
}

/** An ApplicationSet (or another user document) that breaks a rule; `path` names the field. */
export class SpecError extends FlotillaError {
  readonly code = 'SPEC_INVALID';
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(path ? `${path}: ${reason}` : reason, options);
    this.name = 'SpecError';
  }
}

/** Generation or templating failed for a valid spec (a template error, a duplicate name, ...). */
export class RenderError extends FlotillaError {
  readonly code = 'RENDER_FAILED';
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(path ? `${path}: ${reason}` : reason, options);
    this.name = 'RenderError';
  }
}

/** A source (git repository, pull request provider, cluster list) could not be read. */
export class SourceError extends FlotillaError {
  readonly code = 'SOURCE_FAILED';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SourceError';
  }
}

/** Several independent problems found in one pass, reported together. */
export class AggregateSpecError extends FlotillaError {
  readonly code: FlotillaErrorCode;
  constructor(readonly errors: readonly FlotillaError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'AggregateSpecError';
    this.code = errors[0]?.code ?? 'SPEC_INVALID';
  }
}

/** Joins a parent field path and a child key the way error messages print them. */
export function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}
