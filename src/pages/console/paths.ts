/** Where the operator console's pages live (under the API's base path, beside the admin API). */
import { API_BASE_PATH } from "../../lib/urls";

export const CONSOLE_PATH = `${API_BASE_PATH}/admin/console`;

/** A transaction's page; its wallet is named by the reference itself (src/lib/ids.ts). */
export const consoleTransactionPath = (tx_ref: string) =>
  `${CONSOLE_PATH}/transactions/${encodeURIComponent(tx_ref)}`;

/** A wallet's page: its balance, transactions, proposals, audit log and the forms that act on it. */
export const consoleWalletPath = (user_id: string) =>
  `${CONSOLE_PATH}/wallets/${encodeURIComponent(user_id)}`;

/** A reconciled Lagos day's page (YYYY-MM-DD): its counts and every difference. */
export const consoleReconciliationPath = (day: string) =>
  `${CONSOLE_PATH}/reconciliations/${encodeURIComponent(day)}`;

/** The approvals queue: pending proposals across wallets. */
export const CONSOLE_APPROVALS_PATH = `${CONSOLE_PATH}/approvals`;

/** The acts a console form may ask for; each posts first to its confirmation page. */
export const CONSOLE_ACTS = [
  "decide",
  "adjust",
  "freeze",
  "unfreeze",
  "approve",
  "reject",
] as const;
export type ConsoleActName = (typeof CONSOLE_ACTS)[number];

/** Where a confirmed form posts (the act itself). */
export const consoleActPath = (user_id: string, act: ConsoleActName) =>
  `${consoleWalletPath(user_id)}/acts/${act}`;

/** Where a form posts first: the page that shows what will happen. */
export const consoleConfirmPath = (user_id: string, act: ConsoleActName) =>
  `${consoleActPath(user_id, act)}/confirm`;

/** The hidden field that carries the form's CSRF token (src/lib/csrf.ts). */
export const CSRF_FIELD = "csrf";
