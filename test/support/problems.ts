import { expect } from 'vitest';

/** Assertions on RFC 9457 problem answers, shared by the e2e files (docs/api.md lists the types). */
export const PROBLEM = 'https://api.algesta.co/problems/' as const;

/** A typed call's answer (`{ response, error }`) or a raw one (`{ status, headers, body }`). */
export type Answer = { response: Response; error?: unknown } | { status: number; headers: Headers; body: any };

/**
 * The error of a typed answer as the problem type `type`: asserts the type and narrows the union of the
 * operation's problems (each with its own schema in the document) to that one.
 */
export function problemOf<E extends { type: string }, T extends string>(
  error: E | undefined,
  type: T,
): Extract<E, { type: `${typeof PROBLEM}${T}` }> {
  expect(error?.type).toBe(PROBLEM + type);
  return error as Extract<E, { type: `${typeof PROBLEM}${T}` }>;
}

export function expectProblem(answer: Answer, status: number, type: string): void {
  const res =
    'response' in answer
      ? { status: answer.response.status, headers: answer.response.headers, body: answer.error as any }
      : answer;
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body.type).toBe(PROBLEM + type);
  expect(res.body.status).toBe(status);
  expect(typeof res.body.title).toBe('string');
}
