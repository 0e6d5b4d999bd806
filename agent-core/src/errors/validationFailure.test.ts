import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validationFailure } from './validationFailure.js';

const Person = z.strictObject({
  name: z.string().min(1, 'must not be empty'),
  age: z.number(),
  email: z.string(),
});

const joined = (path: readonly PropertyKey[]) => path.map(String).join('.') || 'body';

function failureOf(value: unknown) {
  const parsed = Person.safeParse(value);
  if (parsed.success) throw new Error('expected the parse to fail');
  return validationFailure(parsed.error, joined, 'the body is invalid');
}

describe('validationFailure', () => {
  it('names every bad field once, in the words every VALIDATION_ERROR uses', () => {
    expect(failureOf({ name: '', age: 'ten', colour: 'red' })).toEqual({
      message: 'Invalid request: name must not be empty',
      fields: {
        name: 'must not be empty',
        age: 'expected number, received string',
        email: 'is required',
        colour: 'is not a known field',
      },
    });
  });

  it('names the input itself when the issue has no path', () => {
    expect(failureOf('not an object')).toEqual({
      message: 'Invalid request: body expected object, received string',
      fields: { body: 'expected object, received string' },
    });
  });

  it('falls back to the caller’s summary when no issue names a field', () => {
    expect(validationFailure(new z.ZodError([]), joined, 'the body is invalid')).toEqual({
      message: 'Invalid request: the body is invalid',
      fields: {},
    });
  });
});
