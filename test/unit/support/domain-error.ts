import { expect } from 'vitest';
import { DomainError, type ErrorCode, type ErrorDetails } from '../../../src/domain/errors.ts';

/** Runs `fn` and returns what it threw; fails the test when it returns normally. */
export function thrownBy(fn: () => unknown): unknown {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    return err;
  }
  throw new Error(`expected a throw, got ${JSON.stringify(result)}`);
}

/** Awaits `promise` and returns its rejection reason; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  let result: unknown;
  try {
    result = await promise;
  } catch (err) {
    return err;
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
}

/** Asserts `err` is a DomainError with `code` (and, when given, matching details). */
export function expectDomainError(err: unknown, code: ErrorCode, details?: Partial<ErrorDetails>): DomainError {
  expect(err).toBeInstanceOf(DomainError);
  const e = err as DomainError;
  expect(e.code).toBe(code);
  if (details) expect(e.details).toMatchObject(details);
  return e;
}
