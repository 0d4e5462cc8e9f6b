import { expect } from 'vitest';
import { AppError } from '../errors.js';

/** The `field` a 400 AppError thrown by fn names; fails the test when fn throws anything else or nothing. */
export function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(400);
    return ((err as AppError).details as { field?: string }).field;
  }
  throw new Error('expected a 400');
}
