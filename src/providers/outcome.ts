/**
 * How every provider client classifies an answer, whatever the vendor:
 *
 *   ok        the provider answered and we understood it
 *   not_found the provider says the thing does not exist
 *   refused   a definite refusal: nothing happened on their side
 *   unknown   timeout, network error, 5xx, 429, malformed or unexpected body:
 *             the operation may or may not have happened; callers look it up
 *             again later and never re-submit or refund on a guess
 */
export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; kind: "not_found"; message: string }
  | { ok: false; kind: "refused"; status: number; message: string }
  | { ok: false; kind: "unknown"; reason: string };
