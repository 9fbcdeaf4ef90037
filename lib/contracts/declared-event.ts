import { z } from 'zod';
import { EVENT_CONDITIONS } from '../domain/event-condition.js';
import { jsonObject } from './schema-version.js';

/** `namespace.action`: lower-case words joined by dots, at least two parts. */
export const EVENT_NAME_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

export const declaredEvent = z.object({
  name: z.string().regex(EVENT_NAME_PATTERN, 'event name must look like namespace.action'),
  condition: z.enum(EVENT_CONDITIONS).default('success'),
  schema: jsonObject.optional(),
});

export type DeclaredEventWire = z.infer<typeof declaredEvent>;
