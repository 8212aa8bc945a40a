/**
 * Where the Flutterwave look-alike lives inside this Worker, and where it
 * delivers webhooks. `<origin>/__sandbox/flutterwave/v3/...` mirrors
 * `https://api.flutterwave.com/v3/...`.
 */
import { SANDBOX_ROOT } from "../kit/paths";

export { SANDBOX_ROOT };

/** The Flutterwave look-alike's mount point inside the sandbox router. */
export const FLUTTERWAVE_MOUNT = "/flutterwave";
/** Full path prefix, as a client or browser sees it. */
export const FLUTTERWAVE_BASE_PATH = `${SANDBOX_ROOT}${FLUTTERWAVE_MOUNT}`;

/**
 * The webhook URL a merchant would set in the Flutterwave dashboard. The
 * sandbox has no dashboard, so it is fixed: our own webhook route, on the origin
 * that created the payment or transfer.
 */
export const WEBHOOK_PATH = "/api/v1/wallet/flutterwave/webhook";

/** The one Durable Object instance that holds all Flutterwave sandbox state. */
export const SANDBOX_OBJECT_NAME = "flutterwave";

export function checkoutPath(link_id: string): string {
  return `${FLUTTERWAVE_BASE_PATH}/checkout/${encodeURIComponent(link_id)}`;
}
