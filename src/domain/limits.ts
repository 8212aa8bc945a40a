/**
 * The product's policy, in the domain: how much money may move, how long a
 * transaction may stay unresolved and how often it is looked at again, how
 * long an idempotent answer is kept. Pure data, imported by the rules beside
 * it (transactions.ts, phone.ts) and by the parts that enforce them.
 */

// ---- Money --------------------------------------------------------------------
/** Smallest and largest funding, in kobo (N100 .. N5,000,000). */
export const FUND_MIN_MINOR = 100_00;
export const FUND_MAX_MINOR = 5_000_000_00;
/** Smallest and largest withdrawal, in kobo (N100 .. N5,000,000). */
export const WITHDRAW_MIN_MINOR = 100_00;
export const WITHDRAW_MAX_MINOR = 5_000_000_00;
/**
 * Open PENDING fundings one wallet may have at once (FUND_PENDING_MAX, counted
 * inside the Wallet's open transaction); the next is refused 409
 * `too_many_pending_fundings` until one is paid or expires. Each costs us a
 * provider checkout and a reconciler schedule, so an account cannot pile them up.
 */
export const FUND_PENDING_MAX_DEFAULT = 10;
export const FUND_PENDING_MAX_CEILING = 1_000;
/**
 * The callback page (loaded by anyone holding the page's link, as often as
 * they like) asks for a provider verification of its pending funding at most
 * once per this many milliseconds; other loads show the stored state. Webhooks
 * and the reconciler settle the funding whatever the page does.
 */
export const CALLBACK_VERIFY_INTERVAL_MS = 30_000;
/** Largest balance a wallet may hold, in kobo; a credit past it is refused (and escalated). */
export const BALANCE_MAX_MINOR = 1_000_000_000_00;

/** A Nigerian bank account number (NUBAN, the CBN's standard) is exactly 10 digits. */
export const NUBAN_DIGITS = 10;
/** Longest withdrawal narration (it reaches the bank statement). */
export const NARRATION_MAX_CHARS = 80;

// ---- Idempotency --------------------------------------------------------------
/** Keys are kept at least this long (Stripe keeps 24 h). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A request holding a key is "in flight" for at most this long; then a retry may resume it. */
export const IDEMPOTENCY_IN_FLIGHT_LOCK_MS = 60_000;

// ---- Reconciliation -----------------------------------------------------------
/** Delay before each re-verification, by attempt; the last value repeats. */
export const RECONCILE_BACKOFF_S = [30, 60, 120, 300, 600, 1800, 3600] as const;
/** A funding's checkout may be paid until session end; this grace covers late webhooks. */
export const FUNDING_DEADLINE_GRACE_MS = 10 * 60 * 1000;
/** A withdrawal still unknown after this long is escalated to operators (never refunded on a guess). */
export const WITHDRAW_ESCALATE_AFTER_MS = 24 * 60 * 60 * 1000;

// ---- Purchases -----------------------------------------------------------------------
/**
 * Our own airtime bounds, in kobo (N50 .. N50,000). VTpass documents none and
 * publishes per-service `minimium_amount`/`maximum_amount` at run time; the
 * effective bounds are the narrower of the two, so a catalogue that says
 * "max 1,000,000" never lets one purchase drain a wallet by a typo.
 */
export const AIRTIME_MIN_MINOR = 50_00;
export const AIRTIME_MAX_MINOR = 50_000_00;
/**
 * Our own electricity bounds, in kobo (N500 .. N500,000). VTpass documents no
 * DisCo minimum (NOT CONFIRMED) and publishes per-service bounds at run time;
 * the effective range is the narrower of the two, as for airtime.
 */
export const ELECTRICITY_MIN_MINOR = 500_00;
export const ELECTRICITY_MAX_MINOR = 500_000_00;
/** Longest meter or smartcard number we accept (meters are 11 or 13 digits; Showmax's is a phone). */
export const BILLER_CODE_MAX_DIGITS = 20;
/** Longest bill token or voucher kept and shown (an STS token is 20 digits). */
export const BILL_TOKEN_MAX_CHARS = 64;
/** Most months one TV change may buy (VTpass's `quantity`; its own bound is not documented). */
export const TV_QUANTITY_MAX = 12;
/** Longest phone input we look at; a formatted Nigerian number is under 25 characters. */
export const PHONE_INPUT_MAX_CHARS = 32;
/**
 * Purchases VTpass failed or refused (a wrong number, an unknown plan) cost
 * the buyer nothing and us a call and a stored transaction. Past this many
 * within PURCHASE_FAILURES_WINDOW_MS (counted by the wallet when it places the
 * hold; refusals that are our trouble, such as a low float, are not counted),
 * a new purchase is refused 429 `too_many_failed_purchases` until the oldest
 * counted one leaves the window. PURCHASE_USER_LIMITER (wrangler.jsonc) bounds
 * attempts per minute; this bounds what the failures add up to over an hour.
 */
export const PURCHASE_FAILURES_MAX = 8;
export const PURCHASE_FAILURES_WINDOW_MS = 60 * 60 * 1000;
/**
 * Requery schedule for a pending purchase, by attempt (the last value
 * repeats). VTpass resolves most pending airtime within minutes, and its own
 * staff resolve the rest, so the schedule starts tight and then backs off.
 */
export const PURCHASE_REQUERY_BACKOFF_S = [10, 30, 60, 120, 300, 900, 1800, 3600] as const;
/** A purchase still unknown after this long is escalated to operators (never refunded on a guess). */
export const PURCHASE_ESCALATE_AFTER_MS = 24 * 60 * 60 * 1000;
/**
 * HELD_PAYMENT_DEADLINE_S's bounds: the deadlines above may be set for every
 * held payment at once (a team that wants to hear sooner; the end-to-end
 * tests, which cannot wait a day). Production refuses less than an hour: a
 * deadline is when operators may decide in the provider's place, and an hour
 * is the least a provider's own retries need.
 */
export const HELD_DEADLINE_MIN_S = 5;
export const HELD_DEADLINE_PRODUCTION_MIN_S = 60 * 60;
export const HELD_DEADLINE_MAX_S = 7 * 24 * 60 * 60;

// ---- Refunds -------------------------------------------------------------------------
/**
 * Re-asking Flutterwave about a refund: bank-transfer refunds take 24-48
 * hours and card refunds 3-15 business days (docs/providers.md), so the
 * schedule starts at a minute (a refund the create answered "completed" is
 * confirmed soon) and settles at six hours.
 */
export const REFUND_REQUERY_BACKOFF_S = [60, 300, 900, 3600, 3 * 3600, 6 * 3600] as const;
/** A refund still not final after this long is escalated to operators (card refunds: up to 15 business days). */
export const REFUND_ESCALATE_AFTER_MS = 21 * 24 * 60 * 60 * 1000;
/** Operators' note sent with a refund (Flutterwave's `comments`). */
export const REFUND_COMMENTS_MAX_CHARS = 200;
/** Longest data plan code accepted (plan codes are short slugs). */
export const PLAN_CODE_MAX_CHARS = 64;

/**
 * The largest adjustment one operator may propose (NGN 10,000,000): a
 * mistyped amount is refused at the door, whatever four eyes would decide.
 */
export const ADJUSTMENT_MAX_MINOR = 10_000_000_00;

// ---- KYC verification (issue 21) --------------------------------------------------------
/**
 * BVN/NIN verification attempts one wallet may make per Lagos day (the
 * Wallet counts them, kycAttempt). Each attempt costs a paid lookup at the
 * identity provider, and a small number is what stops a user from walking
 * guessed numbers to find someone else's; five leaves room for typing mistakes.
 */
export const KYC_ATTEMPTS_PER_DAY = 5;
/** Retry-After (seconds) when the identity provider is down or slow. */
export const KYC_PROVIDER_RETRY_AFTER_S = 60;
/** Identity numbers (BVN and NIN) are 11 digits. */
export const IDENTITY_NUMBER_DIGITS = 11;
/** Longest name part accepted (first, middle or last name). */
export const PERSON_NAME_MAX_CHARS = 64;

// ---- Statements ---------------------------------------------------------------
/** The longest period one statement covers, in Lagos days (a year, leap day included). */
export const STATEMENT_RANGE_DAYS_MAX = 366;
