/**
 * Where the VTpass look-alike lives inside this Worker, and where it sends
 * callbacks. `<origin>/__sandbox/vtpass/api/...` mirrors
 * `https://sandbox.vtpass.com/api/...`, so `VTPASS_BASE_URL` is the mount
 * without `/api`, as our client expects.
 */
import { SANDBOX_ROOT } from "../kit/paths";

/** The VTpass look-alike's mount point inside the sandbox router. */
export const VTPASS_MOUNT = "/vtpass";
/** Full path prefix, as a client sees it: the sandbox's VTPASS_BASE_URL is `<origin>` + this. */
export const VTPASS_BASE_PATH = `${SANDBOX_ROOT}${VTPASS_MOUNT}`;

/** Our transaction-update route; the callback URL appends `/<VTPASS_CALLBACK_SECRET>`. */
export const VTPASS_CALLBACK_PATH = "/api/v1/wallet/vtpass/callback";

/** The one Durable Object instance that holds all VTpass sandbox state. */
export const VTPASS_OBJECT_NAME = "vtpass";
