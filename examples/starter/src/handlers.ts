import { PermanentError, type HandlerMap } from 'tasker-serverless/handler';

/**
 * The step handlers, by the `handler.callable` names the templates use. A handler returns the step's result (JSON) or
 * throws: a PermanentError fails the step at once, a RetryableError (or any other error) is retried while attempts remain.
 */
const handlers: HandlerMap = {
  'greetings.compose': async ({ context, config }) => {
    if (typeof context.name !== 'string') throw new PermanentError('context.name must be a string');
    return { message: `${String(config.greeting ?? 'Hello')}, ${context.name}!` };
  },
  'greetings.shout': async ({ dependencyResults }) => {
    const composed = dependencyResults.compose as { message: string };
    return { message: composed.message.toUpperCase() };
  },
};

export default handlers;
