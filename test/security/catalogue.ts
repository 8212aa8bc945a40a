/**
 * The security catalogue: every attack the suite encodes, and the test that
 * proves the defence holds. Attacks proven by an older test elsewhere are
 * listed with that test rather than written twice. catalogue.test.ts checks
 * that each named file exists and still has a test of exactly that name, so
 * the list cannot rot when a test is renamed or deleted.
 *
 * `test` is the test's name as it is written in the source: for a test built
 * in a loop, the template literal (with its `${...}` placeholders) verbatim.
 */

export type Area =
  | "jwt"
  | "cross-user"
  | "webhook"
  | "sandbox"
  | "admin"
  | "limits"
  | "sockets"
  | "login"
  | "kyc";

export type Attack = {
  /** Stable and unique: area, then what is attempted. */
  id: string;
  area: Area;
  description: string;
  /** From the repository root. */
  file: string;
  test: string;
};

const JWT = "test/security/jwt.test.ts";
const TOKENS = "test/lib/tokens.test.ts";
const CROSS = "test/security/cross-user.test.ts";
const HOOK = "test/security/webhook.test.ts";
const PROD = "test/security/production-routing.test.ts";
const ADMIN = "test/security/admin.test.ts";
const ACCESS = "test/security/access.test.ts";
const LIMITS = "test/security/limits.test.ts";
const LOGIN = "test/security/login.test.ts";
const MUTATIONS = "test/security/mutations.test.ts";
const KYC_SECURITY = "test/routes/kyc/security.test.ts";
const KYC_VERIFY = "test/routes/kyc/verify.test.ts";
const KYC_TIMING = "test/security/kyc-timing.test.ts";
const AUTH = "test/routes/auth/auth.test.ts";
const WS = "test/routes/ws/ws.test.ts";
const WS_LIMITS = "test/routes/ws/ws-limits.test.ts";
const CONSUMER = "test/queue/consumer.test.ts";
const VT_CALLBACKS = "test/routes/purchases/vtpass-callbacks.test.ts";
const PURCHASE_LIMITS = "test/routes/purchases/purchase-limits.test.ts";
const LATE_MONEY = "test/routes/wallet/late-money.test.ts";
const ACTS = "test/routes/admin/acts.test.ts";
const ACT_PROPOSALS = "test/routes/admin/act-proposals.test.ts";
const ACT_PROPERTY = "test/routes/admin/act-proposals-property.test.ts";
const ACTS_WALLET = "test/durable/wallet/acts.test.ts";
const STATEMENT = "test/routes/wallet/statement.test.ts";
const BULK = "test/routes/bulk/bulk.test.ts";
const BENEFICIARIES = "test/routes/beneficiaries/beneficiaries.test.ts";
const BULK_WATCH = "test/routes/bulk/bulk-watch.test.ts";

export const CATALOGUE: readonly Attack[] = [
  // ---- JWT forms ---------------------------------------------------------------------------------
  {
    id: "jwt-none-plain",
    area: "jwt",
    description: "unsigned alg:none token",
    file: TOKENS,
    test: "refuses an unsigned alg:none token",
  },
  {
    id: "jwt-none-spellings",
    area: "jwt",
    description: "alg none/None/NONE, with and without a signature segment, or over a real HMAC",
    file: JWT,
    test: "refuses alg none in every spelling, with or without a signature segment",
  },
  {
    id: "jwt-empty-signature",
    area: "jwt",
    description: "HS256 header with an empty signature (unsigned)",
    file: JWT,
    test: "refuses an HS256 header with the signature segment left empty",
  },
  {
    id: "jwt-other-key",
    area: "jwt",
    description: "HS256 signed with another key",
    file: TOKENS,
    test: "refuses a token signed with another key",
  },
  {
    id: "jwt-our-other-secrets",
    area: "jwt",
    description: "HS256 signed with the admin token, the webhook hash, or an empty key",
    file: JWT,
    test: "refuses HS256 tokens signed with our other secrets (admin token, webhook hash) or an empty key",
  },
  {
    id: "jwt-alg-confusion",
    area: "jwt",
    description: "RS256/ES256/PS256/EdDSA header over an HMAC made with our key",
    file: JWT,
    test: "refuses algorithm confusion: an RS256, ES256 or PS256 header over an HMAC signature made with our own key",
  },
  {
    id: "jwt-hs512",
    area: "jwt",
    description: "HS512 header when HS256 is configured",
    file: TOKENS,
    test: "refuses a token whose header says another algorithm (HS512) than the configured one",
  },
  {
    id: "jwt-hs384-hs512-our-key",
    area: "jwt",
    description: "HS384 and HS512 signed with our own key when only HS256 is accepted",
    file: JWT,
    test: "refuses HS384 and HS512 signed with our own key while HS256 is the configured algorithm",
  },
  {
    id: "jwt-header-injection",
    area: "jwt",
    description:
      "kid, jku, x5u and embedded jwk headers pointing at the attacker's key; nothing fetched",
    file: JWT,
    test: "refuses kid, jku, x5u and embedded jwk headers that point at the attacker's key, and fetches nothing",
  },
  {
    id: "jwt-crit",
    area: "jwt",
    description: "unknown critical header extension",
    file: JWT,
    test: "refuses a token that marks an unknown header extension as critical",
  },
  {
    id: "jwt-tampered-payload",
    area: "jwt",
    description: "another user's payload under a genuine signature",
    file: TOKENS,
    test: "refuses a token with a tampered payload",
  },
  {
    id: "jwt-issuer",
    area: "jwt",
    description: "wrong issuer",
    file: TOKENS,
    test: "refuses a token with the wrong issuer",
  },
  {
    id: "jwt-audience",
    area: "jwt",
    description: "wrong audience",
    file: TOKENS,
    test: "refuses a token with the wrong audience",
  },
  {
    id: "jwt-audience-watch",
    area: "jwt",
    description: "the watch tickets' audience, or a near miss of ours, on an access token",
    file: JWT,
    test: "refuses the watch tickets' audience and a near miss of ours",
  },
  {
    id: "jwt-expired",
    area: "jwt",
    description: "expired token",
    file: TOKENS,
    test: "refuses an expired token",
  },
  {
    id: "jwt-too-old",
    area: "jwt",
    description: "older than its lifetime while exp is still inside the clock skew",
    file: TOKENS,
    test: "refuses a token older than its lifetime even while exp is inside the clock skew",
  },
  {
    id: "jwt-nbf-future",
    area: "jwt",
    description: "nbf in the future",
    file: JWT,
    test: "refuses an nbf in the future",
  },
  {
    id: "jwt-iat-future",
    area: "jwt",
    description: "iat in the future beyond the clock skew",
    file: TOKENS,
    test: "refuses an iat in the future beyond the clock skew",
  },
  {
    id: "jwt-lifetime",
    area: "jwt",
    description: "exp - iat far beyond ACCESS_TOKEN_EXPIRE_MINUTES",
    file: TOKENS,
    test: "refuses a lifetime (exp - iat) longer than ACCESS_TOKEN_EXPIRE_MINUTES",
  },
  {
    id: "jwt-implausible-on-route",
    area: "jwt",
    description: "implausible times refused on a protected route (401)",
    file: TOKENS,
    test: "refuses an implausible token on a protected route with 401",
  },
  {
    id: "jwt-times-not-numbers",
    area: "jwt",
    description: "exp/iat as strings, null, or 1e308",
    file: JWT,
    test: "refuses times that are not numbers",
  },
  {
    id: "jwt-sub-missing",
    area: "jwt",
    description: "no sub claim",
    file: TOKENS,
    test: "refuses a token without a subject",
  },
  {
    id: "jwt-sub-not-user-id",
    area: "jwt",
    description: "sub that is not a user id (path traversal)",
    file: TOKENS,
    test: "refuses a token whose subject is not a user id",
  },
  {
    id: "jwt-sub-empty-non-string",
    area: "jwt",
    description: "empty, numeric, array, object, null, padded or upper-cased sub",
    file: JWT,
    test: "refuses an empty, non-string or padded subject",
  },
  {
    id: "jwt-unknown-user",
    area: "jwt",
    description: "well-signed token of a user that does not exist",
    file: TOKENS,
    test: "refuses a well-signed token for a user that does not exist",
  },
  {
    id: "jwt-malformed-encoding",
    area: "jwt",
    description: "bad base64url, trailing dot, extra segments, JWE shape",
    file: JWT,
    test: "refuses malformed base64url in each segment, a trailing dot, extra segments and a JWE-shaped token",
  },
  {
    id: "jwt-two-segments",
    area: "jwt",
    description: "a token of two segments",
    file: TOKENS,
    test: "refuses a token with only two segments",
  },
  {
    id: "jwt-header-tricks",
    area: "jwt",
    description: "whitespace and scheme tricks in the Authorization header",
    file: JWT,
    test: "refuses whitespace and scheme tricks in the Authorization header",
  },
  {
    id: "jwt-non-bearer",
    area: "jwt",
    description: "Basic scheme",
    file: TOKENS,
    test: "refuses a non-Bearer scheme",
  },
  {
    id: "jwt-no-header",
    area: "jwt",
    description: "no Authorization header",
    file: TOKENS,
    test: "refuses a missing Authorization header",
  },
  {
    id: "jwt-two-headers",
    area: "jwt",
    description: "two Authorization headers",
    file: JWT,
    test: "refuses two Authorization headers, even when both carry valid tokens of the same user",
  },
  {
    id: "jwt-query-cookie",
    area: "jwt",
    description: "token in the query string, a cookie or another header",
    file: JWT,
    test: "refuses a token in the query string or a cookie instead of the Authorization header",
  },
  {
    id: "jwt-ticket-as-bearer",
    area: "jwt",
    description: "watch ticket as bearer on the API and the socket upgrade",
    file: JWT,
    test: "refuses a watch ticket as a bearer token, on the API and on the WebSocket upgrade",
  },
  {
    id: "jwt-bearer-as-ticket-page",
    area: "jwt",
    description: "access token as a watch ticket on the callback page",
    file: JWT,
    test: "refuses an access token as a watch ticket on the status pages",
  },
  {
    id: "jwt-bearer-as-ticket-socket",
    area: "jwt",
    description:
      "access token as a watch ticket, and tickets for other transactions, on the socket",
    file: WS,
    test: "answers 401 with no credential, a bad token, a bad or expired ticket, or a ticket for another tx_ref",
  },
  {
    id: "jwt-admin-token-as-bearer",
    area: "jwt",
    description: "admin token as a user's bearer, a user's bearer on admin routes",
    file: JWT,
    test: "refuses the admin token as a user's bearer token, and a user's token on admin routes",
  },
  {
    id: "jwt-any-edit",
    area: "jwt",
    description:
      "generated: any character changed, dropped or added in a token's signed part or signature bits (seeded; long form under SOAK=1)",
    file: MUTATIONS,
    test: "refuses every edit of an access token's signed part or signature bits",
  },
  {
    id: "ticket-iat-future",
    area: "jwt",
    description: "watch ticket issued in the future",
    file: TOKENS,
    test: "refuses an iat in the future",
  },
  {
    id: "ticket-lifetime",
    area: "jwt",
    description: "watch ticket living longer than WATCH_TICKET_TTL_S",
    file: TOKENS,
    test: "refuses a lifetime longer than WATCH_TICKET_TTL_S",
  },
  {
    id: "ticket-too-old",
    area: "jwt",
    description: "watch ticket older than WATCH_TICKET_TTL_S",
    file: TOKENS,
    test: "refuses a ticket older than WATCH_TICKET_TTL_S",
  },

  // ---- Cross-user reads and writes ---------------------------------------------------------------
  {
    id: "xuser-tx-api",
    area: "cross-user",
    description: "another user's transaction by tx_ref on the API",
    file: "test/routes/wallet/wallet.test.ts",
    test: "shows the owner's transaction and answers 404 for anyone else's",
  },
  {
    id: "xuser-tx-api-enumeration",
    area: "cross-user",
    description: "the same 404 for another user's, an unused, and a garbage reference",
    file: CROSS,
    test: "GET /wallet/transactions/{tx_ref}: another user's transaction, an unused reference of theirs, and an unused one of the caller's get the same 404",
  },
  {
    id: "xuser-statement",
    area: "cross-user",
    description: "another user's entries in a statement (the statement has no user parameter)",
    file: STATEMENT,
    test: "shows only the caller's own wallet",
  },
  {
    id: "statement-csv-formula",
    area: "cross-user",
    description:
      "a formula in a statement's CSV (a description starting with = + - @) run by the user's spreadsheet",
    file: STATEMENT,
    test: "never hands a spreadsheet a formula: a field starting with = + - @ is prefixed, commas and quotes are quoted",
  },
  {
    id: "xuser-beneficiary-id",
    area: "cross-user",
    description:
      "another user's saved recipient by id (read, change, delete, or as a purchase's beneficiary_id): 404 like an unknown id, nothing held",
    file: BENEFICIARIES,
    test: "another user's id is 404 on every route and as a purchase's beneficiary_id: nothing held, nothing changed",
  },
  {
    id: "xuser-schedule-id",
    area: "cross-user",
    description:
      "another user's schedule by id (read, change, pause, delete) or naming another user's recipient in one's own schedule: 404 like an unknown id",
    file: BENEFICIARIES,
    test: "another user's schedule id is 404 on every route, and another user's recipient cannot be scheduled",
  },
  {
    id: "xuser-list-cursor",
    area: "cross-user",
    description: "another user's tx_ref as a list cursor",
    file: CROSS,
    test: "GET /wallet/transactions?starting_after= another user's reference is refused exactly like an unknown one, and lists nothing of theirs",
  },
  {
    id: "xuser-status-pages",
    area: "cross-user",
    description:
      "withdrawal and purchase pages with a stranger's bearer or ticket, identical to a missing reference",
    file: CROSS,
    test: "the withdrawal and purchase status pages show a stranger's bearer or ticket the same page as for a reference that does not exist",
  },
  {
    id: "xuser-withdraw-page",
    area: "cross-user",
    description: "another wallet's withdrawal page with a bearer",
    file: "test/routes/withdrawals/withdrawals.test.ts",
    test: "refuses a bearer for another wallet's withdrawal page",
  },
  {
    id: "xuser-purchase-page",
    area: "cross-user",
    description: "a purchase page without its ticket",
    file: "test/routes/purchases/purchases.test.ts",
    test: "redirects a browser's form post to the purchase's live page, which only the ticket opens",
  },
  {
    id: "xuser-callback-page",
    area: "cross-user",
    description:
      "the checkout callback page with someone else's ticket, identical to a missing funding",
    file: CROSS,
    test: "the checkout callback page shows nothing of a funding named with someone else's ticket, exactly as for one that does not exist",
  },
  {
    id: "xuser-callback-query",
    area: "cross-user",
    description: "the callback page never credits from its query string",
    file: "test/routes/wallet/funding.test.ts",
    test: "never credits from the query string and shows nothing without a valid ticket",
  },
  {
    id: "xuser-socket-bearer",
    area: "cross-user",
    description: "watch socket with another user's bearer, same 404 as unknown",
    file: WS,
    test: "answers another user's token exactly like an unknown tx_ref (404), with no socket",
  },
  {
    id: "xuser-socket-subprotocol",
    area: "cross-user",
    description: "watch socket with another user's token as subprotocol, same 404 as unknown",
    file: CROSS,
    test: "the watch socket refuses a stranger's token offered as a subprotocol exactly like an unknown reference",
  },
  {
    id: "xuser-socket-seed",
    area: "cross-user",
    description:
      "seed-protocol join for another user's transaction or with another transaction's ticket (4404/4401)",
    file: WS,
    test: "closes with ${code} after ${what}",
  },
  {
    id: "xuser-socket-invented",
    area: "cross-user",
    description: "an invented reference of one's own: 404 and no storage",
    file: WS_LIMITS,
    test: "refuses an invented tx_ref of the caller's own with 404 and leaves its room without tables",
  },
  {
    id: "xuser-idem-fund",
    area: "cross-user",
    description: "another user's Idempotency-Key on a funding",
    file: "test/routes/wallet/funding.test.ts",
    test: "keeps keys per user: another user's identical key is independent",
  },
  {
    id: "xuser-idem-withdraw",
    area: "cross-user",
    description: "another user's Idempotency-Key on a withdrawal",
    file: CROSS,
    test: "another user's withdrawal key and body start the caller's own withdrawal, never a replay of theirs",
  },
  {
    id: "xuser-idem-purchase",
    area: "cross-user",
    description: "another user's Idempotency-Key on a purchase",
    file: CROSS,
    test: "another user's purchase key and body start the caller's own purchase, never a replay of theirs",
  },
  {
    id: "xuser-underpay-known-tx-ref",
    area: "cross-user",
    description:
      "a third party who knows a tx_ref pays too little against it to fail the owner's funding: it stays open, the underpayment is owed back, the owner's payment in full credits",
    file: LATE_MONEY,
    test: "stays open for its owner: the underpayment is owed back and the owner's payment in full still credits",
  },
  {
    id: "xuser-checkout-link-by-tx-ref",
    area: "cross-user",
    description:
      "a payment-link create with someone else's tx_ref, to be handed their open checkout (whose redirect carries their watch ticket): a link of its own every time",
    file: "test/sandbox/flutterwave-api.test.ts",
    test: "opens a link of its own for every create of a tx_ref, never handing out another caller's",
  },

  // ---- Webhook forgery and replay ----------------------------------------------------------------
  {
    id: "hook-missing-wrong-prefix",
    area: "webhook",
    description: "no signature, a wrong or empty verif-hash, a prefix of it, a wrong signature",
    file: "test/routes/wallet/webhook.test.ts",
    test: "refuses ${name} with 401 and queues nothing",
  },
  {
    id: "hook-refund-forged",
    area: "webhook",
    description:
      "a charge webhook naming a pending refund's reference with another refund's id, or its own while the provider still says pending",
    file: "test/services/refunds.test.ts",
    test: "a forged webhook naming a pending refund's reference moves it only as the provider confirms",
  },
  {
    id: "hook-near-miss",
    area: "webhook",
    description: "verif-hash off by the last character, one longer, other case, sent twice",
    file: HOOK,
    test: "refuses a verif-hash that differs in its last character, has one more, is upper-cased, or is sent twice, and queues nothing",
  },
  {
    id: "hook-any-edit",
    area: "webhook",
    description:
      "generated: any single-character change, cut or extension of the webhook hash, as verif-hash or signature (seeded; long form under SOAK=1)",
    file: MUTATIONS,
    test: "refuses every single-character change, cut or extension of the webhook hash, and queues nothing",
  },
  {
    id: "hook-signature-forgery",
    area: "webhook",
    description: "HMAC signature under another key, replayed onto another body, re-encoded",
    file: HOOK,
    test: "refuses a flutterwave-signature made with another key, replayed onto another body, or encoded otherwise, and queues nothing",
  },
  {
    id: "hook-reserialised",
    area: "webhook",
    description: "signature over a re-serialised body",
    file: "test/routes/wallet/webhook.test.ts",
    test: "refuses a signature computed over a re-serialised body",
  },
  {
    id: "hook-forged-success-failed-charge",
    area: "webhook",
    description: "right hash, body claiming success for a charge the provider says failed",
    file: HOOK,
    test: "does not credit a correctly signed body that claims success for a failed charge: the provider's 'failed' wins",
  },
  {
    id: "hook-forged-invented-or-others",
    area: "webhook",
    description:
      "right hash, invented charge id or another user's paid charge with an edited amount, through route and queue",
    file: HOOK,
    test: "does not credit a correctly signed body naming a charge the provider does not have, or another user's paid charge with an edited amount",
  },
  {
    id: "hook-forged-consumer",
    area: "webhook",
    description: "forged events at the consumer: unknown id, someone else's charge, foreign tx_ref",
    file: CONSUMER,
    test: "ignores a forged event: unknown provider id, someone else's charge, a foreign or unknown tx_ref",
  },
  {
    id: "hook-pending-charge",
    area: "webhook",
    description:
      "a genuine charge.completed for a charge the provider still reports pending, through route and queue, then the reconciler",
    file: "test/routes/wallet/funding.test.ts",
    test: "never credits a charge Flutterwave reports as pending: not from its webhook, not from the reconciler",
  },
  {
    id: "hook-amount-edited",
    area: "webhook",
    description: "an event claiming more than the verified charge",
    file: CONSUMER,
    test: "credits nothing for an event whose amount claims more than the verified charge",
  },
  {
    id: "hook-currency",
    area: "webhook",
    description: "a payment in another currency: owed back, never credited",
    file: CONSUMER,
    test: "owes back a payment in the wrong currency without crediting, and keeps the checkout open",
  },
  {
    id: "hook-transfer-claims",
    area: "webhook",
    description: "a transfer webhook body claiming an outcome the provider does not report",
    file: "test/routes/withdrawals/withdrawals.test.ts",
    test: "ignores what a webhook body claims and settles on what the provider reports",
  },
  {
    id: "hook-replay-batch",
    area: "webhook",
    description: "the same genuine webhook 50 times in one batch",
    file: CONSUMER,
    test: "credits once when the same webhook arrives 50 times in one batch",
  },
  {
    id: "hook-replay-route",
    area: "webhook",
    description: "the same genuine webhook posted 50 times at once to the real route",
    file: CONSUMER,
    test: "credits once when the same webhook is posted 50 times at once to the real route and queue",
  },
  {
    id: "hook-replay-late",
    area: "webhook",
    description: "a genuine webhook replayed after settlement",
    file: CONSUMER,
    test: "changes nothing when the webhook arrives after the reconciler already settled the funding",
  },
  {
    id: "hook-final-funding-claims",
    area: "webhook",
    description:
      "right hash, a failed or credited funding named with an invented charge or another funding's paid charge: still verified with the provider, no money moved, nothing recorded",
    file: HOOK,
    test: "verifies a correctly signed body naming a failed or a credited funding with an invented charge or another funding's paid charge, and it moves no money and records nothing",
  },
  {
    id: "hook-replay-late-payment",
    area: "webhook",
    description:
      "a genuine webhook of a payment made after its funding ended, replayed: one anomaly for its charge, never a credit",
    file: LATE_MONEY,
    test: "is recorded as paid_after_terminal for its charge, once, and never credited by itself",
  },
  {
    id: "hook-replay-transfer",
    area: "webhook",
    description: "transfer.completed replayed many times",
    file: "test/routes/withdrawals/withdrawals.test.ts",
    test: "debits once when the transfer.completed webhook arrives many times and the reconciler also runs",
  },
  {
    id: "hook-replay-vtpass",
    area: "webhook",
    description: "VTpass reversal callbacks replayed",
    file: "test/routes/purchases/purchases.test.ts",
    test: "gives back a delivered purchase that VTpass reverses, once, whatever the number of callbacks",
  },
  {
    id: "hook-oversized-declared",
    area: "webhook",
    description: "webhook body over the limit (declared)",
    file: "test/routes/wallet/webhook.test.ts",
    test: "refuses a body over the webhook limit with 413",
  },
  {
    id: "hook-oversized-streamed",
    area: "webhook",
    description: "webhook body over the limit, streamed without Content-Length",
    file: HOOK,
    test: "refuses an oversized webhook streamed without Content-Length with 413, and queues nothing",
  },
  {
    id: "hook-content-type",
    area: "webhook",
    description: "wrong content types never replace the signature; a signed form is not queued",
    file: HOOK,
    test: "never lets the content type stand in for the signature, and refuses a signed body that is not JSON",
  },
  {
    id: "hook-not-json",
    area: "webhook",
    description: "a signed body that is not a JSON object",
    file: "test/routes/wallet/webhook.test.ts",
    test: "answers a signed body that is not a JSON object with 400, keeps it for inspection, and queues nothing",
  },
  {
    id: "hook-vtpass-secret",
    area: "webhook",
    description: "guesses of the VTpass callback secret",
    file: HOOK,
    test: "answers every wrong VTpass callback secret (last character, prefix, longer, other case, encoded) like an unknown route, and queues nothing",
  },
  {
    id: "hook-callback-verify-flood",
    area: "webhook",
    description: "reloading the callback page to flood the provider with verifications",
    file: "test/routes/pages/callback-verify.test.ts",
    test: "sends one verification for many loads within CALLBACK_VERIFY_INTERVAL_MS (${CALLBACK_VERIFY_INTERVAL_MS} ms), and still shows the page each time",
  },

  {
    id: "hook-vtpass-callback-flood",
    area: "webhook",
    description:
      "with the callback secret, 20 callbacks naming one delivered purchase: one requery at once, one at the interval's end, not 20",
    file: VT_CALLBACKS,
    test: "requeries a delivered purchase once for 20 callbacks, once more at the interval's end, and again for a callback after it",
  },
  {
    id: "hook-vtpass-request-id-shape",
    area: "webhook",
    description:
      "with the callback secret, a 60 KB, path-like (../x) or dateless requestId: answered, never queued, requeried or used as an object name",
    file: VT_CALLBACKS,
    test: "answers a 60 KB, a path-like or a dateless requestId with success, and queues nothing, requeries nothing and names no object",
  },
  {
    id: "hook-vtpass-request-id-consumer",
    area: "webhook",
    description: "such a requestId already on the queue: the consumer names no object with it",
    file: VT_CALLBACKS,
    test: "never names an object from such an id even when it reaches the consumer (a message queued before this check)",
  },
  {
    id: "hook-vtpass-unknown-id",
    area: "webhook",
    description:
      "with the callback secret, a well-formed requestId we never sent: dropped at intake, nothing written",
    file: VT_CALLBACKS,
    test: "drops a well-formed request_id we never sent at intake, writing nothing for it",
  },

  // ---- Sandbox routes in production --------------------------------------------------------------
  {
    id: "sandbox-prod-config",
    area: "sandbox",
    description: "SANDBOX_ENABLED=true under a production configuration",
    file: PROD,
    test: "a production configuration has no sandbox, whatever SANDBOX_ENABLED says",
  },
  {
    id: "sandbox-prod-entry",
    area: "sandbox",
    description: "every sandbox path, however spelled, on the production entry",
    file: PROD,
    test: "the production entry (src/worker-production.ts) answers every sandbox path, however spelled, with a 404 problem",
  },
  {
    id: "sandbox-dev-entry-prod-env",
    area: "sandbox",
    description:
      "every sandbox path, the bare route and baselines on the development entry under a production environment (no 405 either)",
    file: PROD,
    test: "the development entry (src/worker.ts) with a production environment answers every sandbox path (bare route and baselines included) with a 404 problem, never a 405 listing a hidden route's methods",
  },
  {
    id: "sandbox-prod-provider-fetch",
    area: "sandbox",
    description: "provider calls to /__sandbox/ URLs are never served in-process in production",
    file: PROD,
    test: "provider calls to a /__sandbox/ URL leave the process in production (the network), never reaching the look-alikes in-process",
  },
  {
    id: "sandbox-flutterwave-prod",
    area: "sandbox",
    description: "the Flutterwave look-alike under a production configuration",
    file: "test/sandbox/flutterwave-control.test.ts",
    test: "is not mounted in production even with SANDBOX_ENABLED=true",
  },
  {
    id: "sandbox-vtpass-prod",
    area: "sandbox",
    description: "the VTpass look-alike under a production configuration",
    file: "test/sandbox/vtpass-control.test.ts",
    test: "is not mounted in production, even with SANDBOX_ENABLED=true",
  },
  {
    id: "sandbox-bundle-files",
    area: "sandbox",
    description: "no src/sandbox file in the production bundle",
    file: "test/static/production-bundle.test.ts",
    test: "lists no source file under src/sandbox",
  },
  {
    id: "sandbox-bundle-markers",
    area: "sandbox",
    description: "no look-alike marker string in the production bundle",
    file: "test/static/production-bundle.test.ts",
    test: "contains none of the look-alikes' markers",
  },
  {
    id: "sandbox-weak-secrets",
    area: "sandbox",
    description: "production refuses weak, default or test-mode secrets",
    file: "test/lib/config.test.ts",
    test: "refuses ${name}, naming ${variable} and never the value",
  },
  {
    id: "sandbox-weak-vtpass-callback-secret",
    area: "sandbox",
    description:
      "a guessable, placeholder, reused (admin token, JWT key, VTpass key) or URL-unsafe VTPASS_CALLBACK_SECRET in production",
    file: "test/lib/config.test.ts",
    test: "refuses a weak, shared or URL-unsafe VTPASS_CALLBACK_SECRET, naming the variable and never a value",
  },
  {
    id: "sandbox-weak-vtpass-callback-secret-503",
    area: "sandbox",
    description:
      "production with a weak or URL-unsafe callback secret takes no traffic (503), the callback URL included, and logs no value",
    file: PROD,
    test: "the production entry answers every request 503 service_misconfigured, the VTpass callback included, when VTPASS_CALLBACK_SECRET is weak or not URL-safe; the log names the variable, never the value",
  },

  // ---- Admin routes ------------------------------------------------------------------------------
  {
    id: "admin-every-route-near-miss",
    area: "admin",
    description:
      "every operator route: no token, last character changed, prefix, longer, other case, Basic, a user's bearer",
    file: ADMIN,
    test: "refuses no token, near misses of the token, another scheme, and a user's bearer token with one and the same 401",
  },
  {
    id: "admin-decision-over-provider-answer",
    area: "admin",
    description:
      "an operator's post or void of a held payment the provider has definitely answered, or decided on a stale version of it",
    file: "test/services/decisions.test.ts",
    test: "refuses with provider_answered when the bank has paid by the requery, and posts the bank's answer instead",
  },
  {
    id: "admin-decision-stale-version",
    area: "admin",
    description:
      "an operator's decision applied after a provider answer landed between the requery and the decision",
    file: "test/durable/wallet/decisions.test.ts",
    test: "refuses a decision once a provider answer settled it (not_pending) or anything changed since it was seen (version_changed)",
  },
  {
    id: "admin-token-elsewhere",
    area: "admin",
    description: "the exact token in the query string, a cookie or another header",
    file: ADMIN,
    test: "refuses the exact token in the query string, a cookie or another header",
  },
  {
    id: "admin-routes-listed",
    area: "admin",
    description: "the attacked routes come from the served document",
    file: ADMIN,
    test: "the document lists the operator routes this file attacks",
  },
  {
    id: "admin-access-foreign-key",
    area: "admin",
    description: "an Access token signed by another RSA key, under the trusted kid or its own",
    file: ACCESS,
    test: "refuses a token signed by another key, under the trusted key's kid or its own",
  },
  {
    id: "admin-access-alg-confusion",
    area: "admin",
    description:
      "an Access token with alg:none, or HS256 keyed with the public key (JWK, modulus, key set)",
    file: ACCESS,
    test: "refuses alg:none and HS256 signed with the public key (algorithm confusion)",
  },
  {
    id: "admin-access-claims",
    area: "admin",
    description:
      "an Access token for another application (aud), another team (iss), expired, not yet valid, without exp or email",
    file: ACCESS,
    test: "refuses a wrong aud, a wrong iss, an expired token, one not yet valid, and one without an email",
  },
  {
    id: "admin-access-unmapped",
    area: "admin",
    description: "a genuine Access identity that OPS_ROLES maps nowhere gets no role (403)",
    file: ACCESS,
    test: "refuses a valid token whose email and groups OPS_ROLES maps nowhere with 403 role_required",
  },
  {
    id: "admin-access-script-token-acts",
    area: "admin",
    description: "the read-only script token on an action, alone or beside a broken Access token",
    file: ACCESS,
    test: "refuses the script token on a role-guarded route, whatever else it carries",
  },
  {
    id: "admin-reconciliation-run-by-script-token",
    area: "admin",
    description:
      "running a day's reconciliation (provider calls, anomalies) with the read-only script token, or for a day not yet ended",
    file: "test/routes/admin/reconciliations.test.ts",
    test: "refuses a day that has not ended (422), the read-only script token (403), and says 404 for a day never reconciled",
  },
  {
    id: "admin-access-header-cookie-differ",
    area: "admin",
    description:
      "an Access header and a CF_Authorization cookie carrying different tokens (a planted cookie)",
    file: ACCESS,
    test: "refuses a request whose header and cookie carry different tokens, even two valid ones",
  },
  {
    id: "admin-access-unconfigured",
    area: "admin",
    description:
      "Access not configured: Access tokens refused, never an open door; the script token only reads",
    file: ACCESS,
    test: "refuses Access tokens when Access is not configured, and the script token still only reads",
  },
  {
    id: "admin-access-role-order",
    area: "admin",
    description:
      "a viewer or operator on a route needing more (role_required), nothing at all (401)",
    file: "test/routes/admin/access.test.ts",
    test: "lets each role through exactly as far as the order viewer < operator < approver says",
  },
  {
    id: "admin-any-edit",
    area: "admin",
    description:
      "generated: any single-character change, cut or extension of the admin token (seeded; long form under SOAK=1)",
    file: MUTATIONS,
    test: "refuses every single-character change, cut or extension of the admin token",
  },
  {
    id: "admin-operator-routes",
    area: "admin",
    description: "operator view routes without, with a wrong, with a user's token",
    file: "test/routes/admin/operator.test.ts",
    test: "refuses ${method} ${path} without a token, with a wrong one, and with a user's token",
  },
  {
    id: "admin-dead-letters",
    area: "admin",
    description: "dead-letter routes without the token or with a user's",
    file: CONSUMER,
    test: "refuses operator routes without the admin token, or with a user's token",
  },

  // ---- Header and body limits --------------------------------------------------------------------
  {
    id: "limits-json-declared",
    area: "limits",
    description: "JSON body over the limit (declared) and other malformed bodies",
    file: AUTH,
    test: "${name} -> ${status}",
  },
  {
    id: "limits-json-streamed",
    area: "limits",
    description: "JSON body over the limit, streamed",
    file: AUTH,
    test: "a streamed body over the limit without Content-Length -> 413",
  },
  {
    id: "limits-form-money",
    area: "limits",
    description:
      "form and multipart bodies over the limit on money routes and login, declared and streamed",
    file: LIMITS,
    test: "refuses form bodies over the limit, declared or streamed, with 413, and records nothing",
  },
  {
    id: "limits-drain",
    area: "limits",
    description: "an oversized chunked body is drained, not abandoned",
    file: "test/lib/body-limit.test.ts",
    test: "reads an oversized chunked body to its end before answering 413",
  },
  {
    id: "limits-drain-bound",
    area: "limits",
    description: "draining stops at REQUEST_BODY_DRAIN_MAX_BYTES",
    file: "test/lib/body-limit.test.ts",
    test: "drains at most REQUEST_BODY_DRAIN_MAX_BYTES, then cancels",
  },
  {
    id: "limits-drain-stall",
    area: "limits",
    description: "a body that stops arriving is given up after REQUEST_BODY_DRAIN_MAX_MS",
    file: "test/lib/body-limit.test.ts",
    test: "waits at most REQUEST_BODY_DRAIN_MAX_MS for a body that stops arriving, then cancels",
  },
  {
    id: "limits-broken-body",
    area: "limits",
    description: "a body that breaks off mid-way",
    file: "test/lib/body-limit.test.ts",
    test: "answers a body that breaks off mid-way with 400, logging nothing at error level",
  },
  {
    id: "limits-oversized-e2e",
    area: "limits",
    description: "an oversized chunked upload over real HTTP disturbs nobody else",
    file: "test/e2e/oversized-body.test.ts",
    test: "${name}: the upload gets 413 problem+json and the next requests succeed",
  },
  {
    id: "limits-deep-json",
    area: "limits",
    description: "JSON nested thousands deep",
    file: LIMITS,
    test: "refuses JSON nested thousands deep inside the limit with a 4xx problem, and records nothing",
  },
  {
    id: "limits-huge-numbers",
    area: "limits",
    description: "amounts past float range or precision, odd spellings of numbers",
    file: LIMITS,
    test: "refuses amounts past float range or precision, and odd spellings of numbers, with 422, and records nothing",
  },
  {
    id: "limits-many-fields",
    area: "limits",
    description: "thousands of fields, __proto__ and constructor keys",
    file: LIMITS,
    test: "refuses thousands of fields and prototype keys without polluting anything, and records nothing",
  },
  {
    id: "limits-headers-auth",
    area: "limits",
    description: "oversized Authorization, WebSocket protocol, ticket and tx_ref",
    file: LIMITS,
    test: "answers an oversized Authorization, WebSocket protocol or ticket with a plain 401 or 422 problem",
  },
  {
    id: "limits-headers-idempotency",
    area: "limits",
    description: "oversized or non-printable Idempotency-Key",
    file: LIMITS,
    test: "refuses an oversized or non-printable Idempotency-Key with 422 before anything is recorded",
  },
  {
    id: "limits-headers-request-id",
    area: "limits",
    description: "oversized X-Request-Id and headers we do not read",
    file: LIMITS,
    test: "replaces an oversized X-Request-Id instead of echoing it, and ignores oversized headers it does not read",
  },
  {
    id: "limits-query-values",
    area: "limits",
    description: "oversized query values on the list and the pages",
    file: LIMITS,
    test: "refuses oversized query values on the pages and the list with a problem or an empty page, never an echo",
  },
  {
    id: "limits-odd-request-id",
    area: "limits",
    description: "an X-Request-Id that is markup",
    file: "test/api-app.test.ts",
    test: "replaces an odd X-Request-Id with its own and puts it in problems",
  },
  {
    id: "limits-page-markup",
    area: "limits",
    description:
      "markup in a purchase's stored details (the number as written, a provider's plan name) on its status page",
    file: "test/routes/pages/pages.test.ts",
    test: "escapes what it shows from stored details (an entry or a provider's plan name with markup)",
  },
  {
    id: "limits-bill-page-markup",
    area: "limits",
    description:
      "markup in a bill's stored details (a provider's customer name, token or units; a meter) on its status page",
    file: "test/routes/pages/bill-pages.test.ts",
    test: "escapes the stored details and the token it shows",
  },
  {
    id: "limits-no-stack-trace",
    area: "limits",
    description: "an unexpected exception leaks no stack or message",
    file: "test/api-app.test.ts",
    test: "an unexpected exception is a bare 500 with no stack trace",
  },
  {
    id: "limits-host-header",
    area: "limits",
    description: "links ignore a forged Host header (over real HTTP)",
    file: "test/e2e/host-header.test.ts",
    test: "the OpenAPI servers name the dev server's own origin when the client claims evil.example",
  },
  {
    id: "limits-host-header-links",
    area: "limits",
    description: "checkout redirect and watch URL ignore the Host header",
    file: "test/routes/public-urls.test.ts",
    test: "a funding's checkout link, redirect_url and watch URL",
  },

  {
    id: "limits-purchase-rate",
    area: "limits",
    description:
      "a user starting purchases as fast as they can (40 in 6.6 s): 429 past PURCHASE_USER_LIMITER, no VTpass call, nothing stored",
    file: PURCHASE_LIMITS,
    test: "refuses the attempt past the limit with 429 and Retry-After, before any VTpass call or stored transaction, airtime and data together, and spares other users",
  },
  {
    id: "limits-statement-rate",
    area: "limits",
    description:
      "a user asking for statements (each up to 1,000 journal rows, maybe a PDF) as fast as they can: 429 past STATEMENT_USER_LIMITER",
    file: STATEMENT,
    test: "429 past STATEMENT_USER_LIMITER in a minute, counting refused asks too; another user is not affected",
  },
  {
    id: "limits-purchase-failures",
    area: "limits",
    description:
      "purchases VTpass fails, free to the buyer, made over and over: refused past PURCHASE_FAILURES_MAX an hour",
    file: PURCHASE_LIMITS,
    test: "refuses a purchase once ${PURCHASE_FAILURES_MAX} failed within the window (429 too_many_failed_purchases), before any VTpass call, and opens again when they leave it",
  },
  {
    id: "limits-catalogue-outage-amplification",
    area: "limits",
    description:
      "plan lists and data purchases while VTpass fails with nothing cached: one VTpass read per network, then none for a few seconds",
    file: "test/faults/catalogues.test.ts",
    test: "answers concurrent and then consecutive plan lists and a data purchase with 503 after a single VTpass read (and its retries), and reads again after VTPASS_CATALOGUE_FAILURE_TTL_S",
  },
  {
    id: "limits-bill-client-price",
    area: "limits",
    description:
      "a TV payment that names its own amount (to pay less than the bouquet): refused; the price is the catalogue's or VTpass's renewal amount",
    file: "test/routes/purchases/bills-tv.test.ts",
    test: "pays StarTimes by bouquet, gives Showmax's voucher as the token, and refuses what a service does not support",
  },
  {
    id: "limits-bill-concurrent-overdraw",
    area: "limits",
    description:
      "25 electricity payments at once over the balance: exactly what fits is held, the rest refused, never below zero",
    file: "test/routes/purchases/bills-electricity.test.ts",
    test: "with 5,000 available, 25 concurrent payments of 1,000: 10 pass the per-user limit, of which exactly 5 are held and 5 refused",
  },

  // ---- Sockets: limits and credential expiry (4429, 4001, ...) -----------------------------------
  {
    id: "socket-room-full",
    area: "sockets",
    description: "room full: 429 and 4429",
    file: WS,
    test: "answers 429 once the room holds ROOM_SOCKETS_MAX (${ROOM_SOCKETS_MAX}) watchers, and closes a seed-protocol join with 4429",
  },
  {
    id: "socket-per-user",
    area: "sockets",
    description: "sockets past WS_SOCKETS_PER_USER_MAX",
    file: WS_LIMITS,
    test: "refuses the socket past WS_SOCKETS_PER_USER_MAX (${PER_USER}) across rooms with 429 too_many_sockets, and takes one again after a close",
  },
  {
    id: "socket-per-address",
    area: "sockets",
    description: "sockets past WS_SOCKETS_PER_ADDRESS_MAX, anonymous ones included",
    file: WS_LIMITS,
    test: "refuses the socket past WS_SOCKETS_PER_ADDRESS_MAX (${PER_ADDRESS}) from one address, anonymous ones included",
  },
  {
    id: "socket-anonymous-lease",
    area: "sockets",
    description: "an anonymous socket holds its address lease only until its join timeout",
    file: WS_LIMITS,
    test: "holds an anonymous seed-protocol socket's address lease only until its join timeout (${WS_JOIN_TIMEOUT_MS} ms), then stores nothing",
  },
  {
    id: "socket-expiry-bearer",
    area: "sockets",
    description: "a bearer socket outliving its token: 4001",
    file: WS_LIMITS,
    test: "closes a bearer-token socket with 4001 at the token's expiry, and a fresh token reconnects",
  },
  {
    id: "socket-expiry-ticket",
    area: "sockets",
    description: "a ticket socket outliving its ticket: 4001, relay included",
    file: WS_LIMITS,
    test: "closes a ticket socket at the ticket's expiry, through the seed protocol's relay too",
  },
  {
    id: "socket-frames",
    area: "sockets",
    description: "malformed (4400) and oversized (4413) frames",
    file: WS,
    test: "closes a malformed frame with 4400 and an oversized one with 4413",
  },
  {
    id: "socket-join-timeout",
    area: "sockets",
    description: "a socket that never joins: 4408",
    file: WS,
    test: "closes with 4408 when no join frame comes within WS_JOIN_TIMEOUT_MS (${WS_JOIN_TIMEOUT_MS} ms)",
  },
  {
    id: "socket-seed-invented",
    area: "sockets",
    description: "seed-protocol join for an invented reference: 4404, no storage",
    file: WS_LIMITS,
    test: "closes a seed-protocol join for an invented tx_ref with 4404 and leaves its room without tables",
  },

  // ---- Login -------------------------------------------------------------------------------------
  {
    id: "login-no-lockout-addresses",
    area: "login",
    description: "failures from several addresses do not refuse the owner",
    file: AUTH,
    test: "wrong passwords from several addresses do not refuse the owner's right one",
  },
  {
    id: "login-burst-memory",
    area: "login",
    description:
      "a burst of concurrent logins to exhaust the isolate's memory with argon2id hashes: bounded slots and queue, 503 + Retry-After past them, every request answered",
    file: "test/routes/auth/login-burst.test.ts",
    test: "answers a burst past the slots and their queue with 200s and 503 + Retry-After, and every 503 succeeds on retry",
  },
  {
    id: "login-no-lockout-spoofed",
    area: "login",
    description:
      "forwarding headers naming the owner's address, email spellings: only the attacker waits",
    file: LOGIN,
    test: "a client that names the owner's address in X-Forwarded-For, X-Real-IP or True-Client-IP, and spells the email otherwise, delays only itself",
  },
  {
    id: "login-ceiling-known-clients",
    area: "login",
    description: "the per-email ceiling never refuses known addresses",
    file: AUTH,
    test: "counts only failures towards the per-email ceiling, then refuses new addresses but never known ones",
  },
  {
    id: "login-throttle-oracle",
    area: "login",
    description: "a throttled attempt refuses even the right password (no oracle)",
    file: AUTH,
    test: "gives one client progressive delays with Retry-After, refusing even its right password while it waits",
  },
  {
    id: "login-enum-401",
    area: "login",
    description: "the same 401 for an unknown email, a wrong password and a malformed email",
    file: AUTH,
    test: "answers an unknown email and a wrong password with the same 401",
  },
  {
    id: "login-enum-429",
    area: "login",
    description: "unknown emails throttled exactly like registered ones",
    file: AUTH,
    test: "throttles an unknown email exactly like a registered one, so a 429 reveals nothing",
  },
  {
    id: "login-enum-timing",
    area: "login",
    description: "argon2id work done for unknown, malformed and empty emails (Server-Timing)",
    file: LOGIN,
    test: "does the password hash's work for an unknown email, a malformed one and a wrong password, as for the right one",
  },
  {
    id: "login-enum-storage",
    area: "login",
    description: "an unknown email's login stores nothing",
    file: AUTH,
    test: "stores nothing for an unknown email: its Credentials object stays without tables",
  },
  {
    id: "register-taken-409",
    area: "login",
    description: "a taken email's 409 names no account, whatever spelling, password or name",
    file: LOGIN,
    test: "answers a taken email with one 409 that names no account, whatever the spelling, the password or the name",
  },
  {
    id: "register-taken-case",
    area: "login",
    description: "a taken email in another case",
    file: AUTH,
    test: "refuses a taken email whatever its case, with 409 problem+json",
  },
  {
    id: "register-race",
    area: "login",
    description: "20 simultaneous registrations of one email",
    file: AUTH,
    test: "gives exactly one 201 and nineteen 409s to 20 simultaneous registrations of one email",
  },
  {
    id: "login-pending-registration",
    area: "login",
    description: "an unfinished registration cannot log in",
    file: AUTH,
    test: "does not let an unfinished (pending) registration log in",
  },
  {
    id: "login-no-reset-route",
    area: "login",
    description: "no password-reset or lookup route answers per email",
    file: LOGIN,
    test: "has no password-reset or account-lookup route that could answer per email (a new one must bring its own enumeration test)",
  },
  {
    id: "login-ip-rate",
    area: "login",
    description: "login attempts rate-limited per client IP across emails",
    file: AUTH,
    test: "rate-limits attempts per client IP across different emails",
  },
  // ---- Four eyes (operators' acts) ----------------------------------------------------------------
  {
    id: "admin-decide-self-approval-and-door",
    area: "admin",
    description:
      "an operator approving their own decision on a held payment, a mere operator, a viewer, the script token or no one approving it, and approving it twice",
    file: ACT_PROPOSALS,
    test: "a void proposed by A: refused to A, a viewer and the script token; approved by B, FAILED, the hold released, audited, never twice",
  },
  {
    id: "admin-decide-over-provider-answer",
    area: "admin",
    description:
      "an operator's decision approved after the provider answered (at the requery or through the reconciler), overriding the provider",
    file: ACT_PROPOSALS,
    test: "the provider answered before approval: its answer stands (provider_answered at the requery, transaction_changed once applied)",
  },
  {
    id: "admin-refund-twice",
    area: "admin",
    description: "a refund proposal approved twice (a replay) sending a second refund",
    file: ACT_PROPOSALS,
    test: "a refund of an overpayment's excess is sent once, also when the approval is replayed",
  },
  {
    id: "admin-refund-more-than-owed",
    area: "admin",
    description:
      "a refund proposed or approved for more than the provider's charge shows owed, or for an anomaly that is not open",
    file: ACT_PROPOSALS,
    test: "refuses at proposal time more than owed and an anomaly that is not open; at approval, more than owed then",
  },
  {
    id: "admin-refund-and-credit",
    area: "admin",
    description: "the same excess both credited to the wallet and refunded",
    file: ACT_PROPOSALS,
    test: "credits the excess to the wallet instead, once; a refund after it is refused",
  },
  {
    id: "admin-acts-interleavings",
    area: "admin",
    description:
      "any interleaving of provider answers, reconciler runs, proposals and approvals creating or destroying money, sending a refund twice, or overriding the provider",
    file: ACT_PROPERTY,
    test: "never create or destroy money, never send a refund twice, never override a definite provider answer",
  },
  {
    id: "admin-acts-self-approval-and-door",
    area: "admin",
    description:
      "an operator approving their own proposal, a viewer, a mere operator or the script token approving, and approving twice",
    file: ACTS,
    test: "makes a debit a proposal and refuses self-approval, a viewer, the script token and a replay",
  },
  {
    id: "admin-tier-act-one-pair-of-eyes",
    area: "admin",
    description:
      "one operator changing a wallet's KYC tier alone: approving their own tier proposal",
    file: "test/routes/admin/tier-act.test.ts",
    test: "a downgrade: proposed (202, nothing changes yet), self-approval refused, approved by another approver, the user's limits and the audit log show it",
  },
  {
    id: "admin-tier-act-roles",
    area: "admin",
    description: "a viewer proposing a tier act, a mere operator approving one",
    file: "test/routes/admin/tier-act.test.ts",
    test: "a viewer may not propose (403), an operator may not approve (403), an unknown wallet is 404, a reason is required (422)",
  },
  {
    id: "admin-tier-act-upgrade-below-tier-2",
    area: "admin",
    description: "an upgrade to tier 3 for a wallet whose identities do not give tier 2",
    file: "test/routes/admin/tier-act.test.ts",
    test: "an upgrade to 3 is refused below tier 2 (422, nothing proposed) and granted over tier 2; lifting the override brings the identities' tier back",
  },
  {
    id: "admin-acts-expired-and-overdraft",
    area: "admin",
    description:
      "approving a proposal past its time to live; an adjustment that would take the wallet below zero",
    file: ACTS,
    test: "refuses a debit below zero, an expired proposal, and answers 404 for an unknown wallet",
  },
  {
    id: "admin-acts-stale-version",
    area: "admin",
    description: "approving a proposal after its transaction changed (the provider answered since)",
    file: ACTS_WALLET,
    test: "binds a proposal to its transaction's version: approval is refused once it changed",
  },
  {
    id: "admin-acts-edit-history",
    area: "admin",
    description:
      "editing or deleting the audit log, or deciding a proposal twice, even from inside the object",
    file: ACTS_WALLET,
    test: "storage refuses editing or deleting the audit log and deciding a proposal twice",
  },
  {
    id: "admin-console-csrf",
    area: "admin",
    description:
      "cross-site request forgery on the console's forms: no token, a wrong or another operator's token, another origin, no origin",
    file: "test/routes/admin/console-actions.test.ts",
    test: "refuses a post without the token, with a wrong or another operator's token, or from another origin: 403, nothing changed",
  },
  {
    id: "admin-console-viewer-acts",
    area: "admin",
    description: "a viewer posting a console form it was not shown",
    file: "test/routes/admin/console-actions.test.ts",
    test: "a viewer sees no form and is refused if it posts",
  },
  {
    id: "limits-tier-day-race",
    area: "limits",
    description:
      "concurrent purchases to move more in one day than the KYC tier allows: the day's total is checked and counted in the hold's own storage transaction",
    file: "test/routes/wallet/limits.test.ts",
    test: "with NGN 20,000 left today, 25 concurrent purchases of 3,000: 10 pass the per-user limit, of which exactly 6 are held and 4 refused",
  },
  {
    id: "limits-tier-unverified",
    area: "limits",
    description:
      "an unverified wallet funding, buying or withdrawing while KYC is required (CBN: post no debit or credit)",
    file: "test/routes/wallet/limits.test.ts",
    test: "with KYC_REQUIRED=true, an unverified wallet may not fund, buy or withdraw (403 kyc_required, what to do)",
  },
  {
    id: "kyc-someone-elses-bvn",
    area: "kyc",
    description:
      "verifying a BVN another user already verified: 409 identity_in_use only after a full match of name and date of birth; a partial match answers like an unknown number; the owner keeps it",
    file: KYC_SECURITY,
    test: "answers 409 identity_in_use only after a full match; a partial match answers like an unknown number",
  },
  {
    id: "kyc-same-number-race",
    area: "kyc",
    description: "several users verifying the same number at once to get it backing two accounts",
    file: KYC_SECURITY,
    test: "two users verifying the same number at once: exactly one wins",
  },
  {
    id: "kyc-enumeration-answers",
    area: "kyc",
    description:
      "enumerating BVNs/NINs through differences between not-found, another person's name and a wrong date of birth",
    file: KYC_SECURITY,
    test: "not found, another person's name, a wrong date of birth: byte-identical answers apart from the request id",
  },
  {
    id: "kyc-enumeration-timing",
    area: "kyc",
    description:
      "enumerating BVNs by how long the answer takes: not found, another person's number and one verified by another user each cost exactly one provider lookup, and their medians stay within the provider's own time",
    file: KYC_TIMING,
    test: "not found, another person, in use by another user: one provider lookup each, and medians within the provider's own time",
  },
  {
    id: "kyc-enumeration-attempts",
    area: "kyc",
    description:
      "walking guessed numbers past the daily attempt count (counted before the provider is asked)",
    file: KYC_VERIFY,
    test: "more than ${KYC_ATTEMPTS_PER_DAY} attempts a day: 429 too_many_kyc_attempts, before the provider is asked",
  },
  {
    id: "kyc-data-minimisation",
    area: "kyc",
    description:
      "a BVN or NIN leaking into an answer, a log line or a stored row (wallet, claims index): only the keyed hash and last four digits are kept",
    file: KYC_SECURITY,
    test: "no number appears in any answer, log line or stored row; the claim holds the keyed hash",
  },
  {
    id: "kyc-mismatch-never-upgrades",
    area: "kyc",
    description:
      "upgrading a tier with a number whose issuer person is not the one typed, or not the one verified first",
    file: KYC_VERIFY,
    test: "a NIN of another person than the verified BVN's: refused, even when the user types that person",
  },
  // ---- Bulk top-ups ---------------------------------------------------------------------------
  {
    id: "cross-user-bulk-batch",
    area: "cross-user",
    description:
      "reading another user's bulk batch or its results.csv by its id (or probing with a made-up id): looked up only in the caller's wallet, 404 either way",
    file: BULK,
    test: "answers another user's batch id (and a malformed one) with 404",
  },
  {
    id: "limits-bulk-lines",
    area: "limits",
    description:
      "a batch past BULK_LINES_MAX lines, or in a media type the route does not read: refused before any line is priced or stored",
    file: BULK,
    test: "refuses more than BULK_LINES_MAX lines, and a type it cannot read",
  },
  {
    id: "limits-bulk-replayed-line",
    area: "limits",
    description:
      "a bulk line's queue message sent again (a doubled alarm, a redelivery, a forged repeat): the line's derived Idempotency-Key buys it once",
    file: BULK,
    test: "under a doubled alarm and re-sent messages: one transaction and one provider call per line",
  },
  {
    id: "sockets-batch-watch-other-user",
    area: "sockets",
    description:
      "watching another user's bulk batch: with one's own ticket for another batch (401), a validly signed ticket of one's own naming the victim's batch id, or one's bearer token (404: the Room asks the watcher's own wallet, which holds only its batches), whether before or after the owner joined",
    file: BULK_WATCH,
    test: "opens only for the batch's owner",
  },
];

/**
 * Tests in test/security that are not attacks but the controls the attacks
 * stand on (an honest request of the same shape is accepted), so a refusal
 * cannot come from a broken harness.
 */
export const CONTROLS: readonly { file: string; test: string }[] = [
  { file: JWT, test: "accepts the hand-made HS256 token these attacks start from (the control)" },
  {
    file: ACCESS,
    test: "accepts the hand-made Access token these attacks start from (the control)",
  },
];
