import type { z } from 'zod';
import type { FieldMessages } from './codedError.js';

/** What a VALIDATION_ERROR says of a field the schema does not know. */
export const UNKNOWN_FIELD = 'is not a known field';

/** A failed parse as a VALIDATION_ERROR carries it: a summary naming the first field, and all. */
export interface ValidationFailure {
  message: string;
  fields: FieldMessages;
}

/** Zod's words for one issue, in the API's: a missing value "is required", no "Invalid input: ". */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_type') return issue.message;
  return issue.message.endsWith('received undefined')
    ? 'is required'
    : issue.message.replace('Invalid input: ', '');
}

/**
 * A failed zod parse in the one wording of every VALIDATION_ERROR, whether the relay refuses an
 * API request or a host refuses a DesktopApi call's arguments: one message per field (the first
 * issue of each), every unknown key named, and `Invalid request: <field> <message>` as the summary.
 * `fieldOf` names the input an issue's path points at; `otherwise` is the summary when no issue
 * names one.
 */
export function validationFailure(
  error: z.ZodError,
  fieldOf: (path: readonly PropertyKey[]) => string,
  otherwise: string,
): ValidationFailure {
  const fields: FieldMessages = {};
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[fieldOf([...issue.path, key])] = UNKNOWN_FIELD;
      continue;
    }
    fields[fieldOf(issue.path)] ??= issueMessage(issue);
  }
  const first = Object.entries(fields)[0];
  return { message: `Invalid request: ${first ? `${first[0]} ${first[1]}` : otherwise}`, fields };
}
