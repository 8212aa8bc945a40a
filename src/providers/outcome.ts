/**
 * The answer of any provider call, in our words. Every provider client
 * classifies what it heard into exactly one of these:
 *
 *   ok         the provider answered and we understood it
 *   not_found  the provider says the thing does not exist
 *   refused    a definite refusal: nothing happened on the provider's side
 *   unknown    timeout, network error, 5xx, malformed or unexpected answer:
 *              the operation may or may not have happened; callers re-query,
 *              never re-submit, and never refund on it
 *
 * `Refusal` and `Unknown` carry each provider's extra detail (Flutterwave: the
 * HTTP status; VTpass: its response code and an operator anomaly). With the
 * defaults, `Outcome<T>` is what Flutterwave's client answers.
 */
export type Outcome<
  T,
  Refusal extends object = { status: number },
  Unknown extends object = object,
> =
  | { ok: true; value: T }
  | { ok: false; kind: "not_found"; message: string }
  | ({ ok: false; kind: "refused"; message: string } & Refusal)
  | ({ ok: false; kind: "unknown"; reason: string } & Unknown);

export type OutcomeKind = "ok" | "not_found" | "refused" | "unknown";
