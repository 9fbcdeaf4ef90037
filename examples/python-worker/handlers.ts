import type { HandlerMap } from '../../lib/handler.js';

/** The TypeScript step of greeting/greet_person (run by tasker dev); its `greet` step is the Python worker's. */
const handlers: HandlerMap = {
  'greeting.prepare': ({ context }) => ({ name: String(context.name).trim() }),
};

export default handlers;
