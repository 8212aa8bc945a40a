/**
 * Saved recipients (issue 23): saving one (a meter or smartcard verified with
 * the provider first, so its verified name is the provider's), the views the
 * routes answer with, and `beneficiary_id` in the purchase routes: the saved
 * recipient's fields stand in for the body's. Every look-up is in the
 * caller's own wallet: another user's id is not found (404), never forbidden.
 */
import type { BeneficiaryKind, BeneficiaryTarget, Beneficiary } from "../domain/beneficiaries";
import type { Network } from "../domain/phone";
import { AppError, errors } from "../lib/errors";
import type { AppContext } from "../lib/http";
import { verifyAccount } from "./bills";
import { lookupPhone } from "./catalogue";

const iso = (ms: number) => new Date(ms).toISOString();

export function beneficiaryView(b: Beneficiary) {
  const { kind, ...fields } = b.target;
  return {
    id: b.id,
    nickname: b.nickname,
    kind,
    ...fields,
    verified_name: b.verified_name,
    created_at: iso(b.created_at_ms),
    updated_at: iso(b.updated_at_ms),
  };
}

export const beneficiaryNotFound = () =>
  new AppError({
    status: 404,
    code: "beneficiary_not_found",
    title: "Not found",
    detail: "No saved recipient with this id in your wallet.",
  });

/** A phone in the form purchases use, with its network: the one named, else the prefix's. */
function phoneTarget(c: AppContext, raw: string, network: Network | undefined): BeneficiaryTarget {
  const looked = lookupPhone(c, raw);
  if (!looked.ok)
    throw errors.validation(
      [{ path: "phone", message: looked.message, code: looked.reason }],
      "That is not a Nigerian mobile number.",
    );
  const chosen = network ?? looked.network;
  if (!chosen)
    throw errors.validation([
      {
        path: "network",
        message: "The number's prefix does not tell its network; say which network.",
        code: "network_required",
      },
    ]);
  return { kind: "phone", phone: looked.phone.local, network: chosen };
}

export type SaveInput = { nickname: string } & (
  | { kind: "phone"; phone: string; network?: Network }
  | Omit<Extract<BeneficiaryTarget, { kind: "meter" }>, never>
  | Omit<Extract<BeneficiaryTarget, { kind: "smartcard" }>, never>
);

/** Save a recipient: a meter or smartcard is verified with the provider first (422 when it is not theirs, 503 while it cannot say). */
export async function saveBeneficiary(c: AppContext, user_id: string, input: SaveInput) {
  let target: BeneficiaryTarget;
  let verified_name: string | null = null;
  if (input.kind === "phone") target = phoneTarget(c, input.phone, input.network);
  else if (input.kind === "meter") {
    target = {
      kind: "meter",
      disco: input.disco,
      meter: input.meter,
      meter_type: input.meter_type,
    };
    const account = await verifyAccount(c, {
      service_id: input.disco,
      number: input.meter,
      type: input.meter_type,
    });
    verified_name = account.customer_name;
  } else {
    target = { kind: "smartcard", provider: input.provider, smartcard: input.smartcard };
    const account = await verifyAccount(c, { service_id: input.provider, number: input.smartcard });
    verified_name = account.customer_name;
  }
  const saved = await c.env.WALLET.getByName(user_id).saveBeneficiary({
    target,
    nickname: input.nickname,
    verified_name,
  });
  switch (saved.outcome) {
    case "saved":
      return saved.beneficiary;
    case "duplicate":
      throw new AppError({
        status: 409,
        code: "beneficiary_exists",
        title: "Conflict",
        detail: "This recipient is already saved.",
        extra: { existing_id: saved.existing_id },
      });
    case "too_many":
      throw new AppError({
        status: 409,
        code: "too_many_beneficiaries",
        title: "Conflict",
        detail: `At most ${saved.limit} recipients may be saved; delete one first.`,
        extra: { limit: saved.limit },
      });
    case "no_wallet":
      throw errors.notFound("No wallet for this user.");
  }
}

/**
 * The saved recipient a purchase names instead of the recipient's fields,
 * checked to be of the kind the product needs. Sending both is refused: one
 * of them would be silently ignored.
 */
export async function recipientOf<K extends BeneficiaryKind>(
  c: AppContext,
  user_id: string,
  beneficiary_id: string,
  kind: K,
): Promise<Extract<BeneficiaryTarget, { kind: K }>> {
  const b = await c.env.WALLET.getByName(user_id).getBeneficiary(beneficiary_id);
  if (!b) throw beneficiaryNotFound();
  if (b.target.kind !== kind)
    throw errors.unprocessable(
      "beneficiary_kind_mismatch",
      `This saved recipient is a ${b.target.kind}; this purchase needs a ${kind}.`,
    );
  return b.target as Extract<BeneficiaryTarget, { kind: K }>;
}

/** The body with the recipient's fields filled from `beneficiary_id`, or checked present when it has none. */
export async function withRecipient<B extends { beneficiary_id?: string }, R>(
  c: AppContext,
  user_id: string,
  body: B,
  recipient_fields: readonly (keyof B & string)[],
  kind: BeneficiaryKind,
  fill: (target: BeneficiaryTarget) => R,
): Promise<Omit<B, "beneficiary_id"> & R> {
  const { beneficiary_id, ...rest } = body;
  const given = recipient_fields.filter((f) => body[f] !== undefined);
  if (beneficiary_id === undefined) {
    const missing = recipient_fields.filter((f) => body[f] === undefined && f !== "network");
    if (missing.length > 0)
      throw errors.validation(
        missing.map((path) => ({
          path,
          message: "Required unless beneficiary_id names a saved recipient.",
          code: "required",
        })),
      );
    return rest as Omit<B, "beneficiary_id"> & R;
  }
  if (given.length > 0)
    throw errors.validation(
      given.map((path) => ({
        path,
        message: "beneficiary_id already names the recipient; send one or the other.",
        code: "beneficiary_conflict",
      })),
    );
  const target = await recipientOf(c, user_id, beneficiary_id, kind);
  return { ...rest, ...fill(target) } as Omit<B, "beneficiary_id"> & R;
}
