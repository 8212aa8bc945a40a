/**
 * How the Flutterwave look-alike signs its webhooks: the dashboard's secret
 * hash, verbatim, in `verif-hash` (docs/providers.md, §Flutterwave webhooks). A test may ask for no
 * header or another value, to prove that our webhook route refuses them.
 */
import type { DeliveryCredential } from "../kit/deliver";

export const FLUTTERWAVE_USER_AGENT = "flutterwave-sandbox";

/** Which `verif-hash` to send: the configured one (normal), none, or another value. */
export type VerifHashChoice =
  | { kind: "configured" }
  | { kind: "absent" }
  | { kind: "custom"; value: string };

export function credentialFor(
  configured_hash: string,
  choice: VerifHashChoice = { kind: "configured" },
): DeliveryCredential {
  switch (choice.kind) {
    case "configured":
      return { kind: "configured", headers: { "verif-hash": configured_hash } };
    case "absent":
      return { kind: "absent", headers: {} };
    case "custom":
      return { kind: "custom", headers: { "verif-hash": choice.value } };
    default: {
      const unknown: never = choice;
      throw new Error(`unknown verif-hash choice ${JSON.stringify(unknown)}`);
    }
  }
}
