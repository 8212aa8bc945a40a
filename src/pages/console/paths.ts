/** Where the operator console's pages live (under the API's base path, beside the admin API). */
import { API_BASE_PATH } from "../../lib/urls";

export const CONSOLE_PATH = `${API_BASE_PATH}/admin/console`;

/** A transaction's page; its wallet is named by the reference itself (src/lib/ids.ts). */
export const consoleTransactionPath = (tx_ref: string) =>
  `${CONSOLE_PATH}/transactions/${encodeURIComponent(tx_ref)}`;
