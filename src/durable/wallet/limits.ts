/**
 * The Wallet object's own bounds: its lists and pages, the reconciler's batch
 * and time budget, the idempotency purge, and the change feed (batch sizes,
 * retries, retention).
 */

// ---- Transactions listing -------------------------------------------------------
export const TRANSACTIONS_PAGE_DEFAULT = 20;
export const TRANSACTIONS_PAGE_MAX = 100;

// ---- Idempotency --------------------------------------------------------------
/** Expired keys deleted per alarm run. */
export const IDEMPOTENCY_PURGE_BATCH_MAX = 500;

// ---- Reconciliation -----------------------------------------------------------
/** Pending transactions re-verified per alarm run (the rest wait for the next run). */
export const RECONCILE_BATCH_MAX = 25;
/**
 * One alarm run starts no new provider check after this long, so a slow
 * provider cannot hold the wallet's alarm (and its retries) for minutes; the
 * rest wait for the next run. Worst case a run lasts this plus one provider
 * call with its timeout.
 */
export const RECONCILE_RUN_BUDGET_MS = 20_000;
/** Anomalies returned by one audit read (newest kept; all stay in storage). */
export const ANOMALIES_LIST_MAX = 100;

// ---- Change feed (each Wallet's `changes` table) ------------------------------
/** Changes handed to a reader in one delivery call. */
export const FEED_BATCH_MAX = 50;
/** Batches one drain delivers before leaving the rest to the next alarm. */
export const FEED_DRAIN_BATCHES_MAX = 20;
/** A failed delivery is retried after this delay, doubling per failure up to the maximum. */
export const FEED_RETRY_BASE_MS = 1_000;
export const FEED_RETRY_MAX_MS = 5 * 60 * 1000;
/** History kept after every reader acknowledged it (audits, replaying a reset reader). */
export const FEED_RETAIN_MS = 7 * 24 * 60 * 60 * 1000;
/** Changes returned by one read of the feed (audits, replays). */
export const FEED_PAGE_MAX = 1_000;
/** Acknowledged changes deleted per alarm run. */
export const FEED_PRUNE_BATCH_MAX = 500;

/** Transactions re-queued by one reproject call; the caller pages on with the cursor it gets back. */
export const REPROJECT_PAGE_MAX = 500;
/** Versions, provider events and anomalies listed per transaction on the operators' transaction page. */
export const HISTORY_LIST_MAX = 200;

// ---- Operator decisions on held payments ----------------------------------------
/** An operator's evidence (the provider's reference or its word), stored in the transaction's details. */
export const DECISION_EVIDENCE_MAX_CHARS = 500;
/** An operator's id and a provider reference given with a decision. */
export const DECISION_ID_MAX_CHARS = 128;

/** Audit entries and proposals returned by one read of a wallet's lists. */
export const AUDIT_PAGE_MAX = 200;
export const PROPOSALS_PAGE_MAX = 200;
/** Longest reason, user note or evidence an operator may attach (characters). */
export const ACT_TEXT_MAX_CHARS = 500;

// ---- Statements -----------------------------------------------------------------
/**
 * Journal entries in one statement. Past it the statement is refused (422
 * `statement_too_long`, asking for a shorter period) rather than cut: a
 * statement whose entries do not add up to its closing balance would mislead.
 * Bounds the wallet's read and, above all, the PDF's CPU: pdf-lib drew 2,000
 * entries (about 200 phone-sized pages) in 4.5 s of a busy development
 * machine's CPU, so a statement stops at half that (about 100 pages); a
 * year of an ordinary user's activity is well under it.
 */
export const STATEMENT_ENTRIES_MAX = 1_000;

// ---- Bulk top-ups (./bulk.ts) ----------------------------------------------------
/**
 * Lines one alarm tick releases to the queue, across every batch of the
 * wallet, one per batch in turn (src/domain/bulk.ts releasePlan).
 */
export const BULK_LINES_PER_TICK = 20;
/** Lines of one batch released and not yet reported: a batch of 500 drains a few at a time. */
export const BULK_LINES_IN_FLIGHT_MAX = 5;
/** A released line not reported by then is released again (its queue message was lost); its key makes a repeat harmless. */
export const BULK_LINE_RESEND_AFTER_MS = 120_000;
/** Batches a wallet may have running at once (each is checked against the balance when it starts). */
export const BULK_BATCHES_RUNNING_MAX = 10;
/** Reasons kept with a refused line (the problem's words), characters. */
export const BULK_REASON_MAX_CHARS = 500;
/**
 * Lines one batch frame carries to a watcher (the lines a change touched, or
 * the first lines on join; a release touches at most BULK_LINES_PER_TICK): a
 * frame stays a few tens of kilobytes; past it the frame says `truncated`
 * and the client reads the rest from GET /wallet/bulk/{batch_id}.
 */
export const BULK_WATCH_LINES_MAX = 100;

// ---- Beneficiaries and schedules (issue 23) ----
/** Schedules one wallet may keep (any status): each is a row the alarm scans. */
export const SCHEDULES_MAX = 50;
/** A schedule's last runs shown with it. */
export const SCHEDULE_RUNS_SHOWN = 5;
/** Due schedules one alarm records runs for; the rest wait for the alarm it re-arms at once. */
export const SCHEDULE_DUE_BATCH_MAX = 25;
/** A due run whose queue message got no outcome is sent again after this long (duplicates are harmless: one key). */
export const SCHEDULE_RUN_RESEND_MS = 5 * 60 * 1000;
/** Recent purchases scanned for suggested recipients. */
export const SUGGESTED_SCAN_MAX = 200;
/** Suggested recipients answered at most. */
export const SUGGESTED_MAX = 20;
/** A saved recipient's nickname, in characters. */
export const BENEFICIARY_NICKNAME_MAX_CHARS = 60;
