import { DEV_TOKEN_ENV } from './dev-token.js';

/** Where a running `tasker dev` or `tasker run` takes signals: its HTTP API and the token it requires. */
export interface SignalEndpoint {
  readonly url: string;
  readonly token: string;
}

/**
 * The command that signals a waiting step through a running runtime's HTTP API, ready to paste
 * (the payload to fill in).
 *
 * @example
 * signalHint('0190…', 'approval', { url: 'http://127.0.0.1:3710', token: 't' });
 * // "TASKER_DEV_TOKEN=t tasker step signal 0190… approval --url http://127.0.0.1:3710 --payload '{...}'"
 */
export function signalHint(taskUuid: string, stepName: string, endpoint: SignalEndpoint): string {
  return `${DEV_TOKEN_ENV}=${endpoint.token} tasker step signal ${taskUuid} ${stepName} --url ${endpoint.url} --payload '{...}'`;
}
