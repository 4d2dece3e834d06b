import { FlotillaError } from '#contracts';

/** A failure talking to the hub, with the exit code scripts can act on. */
export class HubClientError extends FlotillaError {
  readonly code = 'HUB_REQUEST_FAILED';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'HubClientError';
  }
}
