/**
 * Saved recipients (issue 23) in the Wallet's storage (schema step 12). Every
 * read and write is inside the caller's own wallet, so another user's id is
 * simply not found. Each version goes on the change feed as a `beneficiary`
 * change, in the writing transaction.
 */
import {
  targetKey,
  targetOfPurchase,
  type Beneficiary,
  type BeneficiaryTarget,
} from "../../domain/beneficiaries";
import { randomBase32 } from "../../lib/ids";
import { one } from "../../lib/sqlite";
import { appendChange, type Change } from "./changes";
import type { WalletCore } from "./core";
import { SUGGESTED_MAX, SUGGESTED_SCAN_MAX } from "./limits";

type Row = {
  id: string;
  target_json: string;
  nickname: string;
  verified_name: string | null;
  created_at_ms: number;
  updated_at_ms: number;
  version: number;
};

const COLUMNS = "id, target_json, nickname, verified_name, created_at_ms, updated_at_ms, version";

function toBeneficiary(row: Row): Beneficiary {
  return {
    id: row.id,
    nickname: row.nickname,
    target: JSON.parse(row.target_json) as BeneficiaryTarget,
    verified_name: row.verified_name,
    created_at_ms: row.created_at_ms,
    updated_at_ms: row.updated_at_ms,
    version: row.version,
  };
}

export function newBeneficiaryId(): string {
  return `ben_${randomBase32(20)}`;
}

export type SaveBeneficiaryOutcome =
  | { outcome: "saved"; beneficiary: Beneficiary }
  | { outcome: "duplicate"; existing_id: string }
  | { outcome: "too_many"; limit: number }
  | { outcome: "no_wallet" };

export type BeneficiaryPatch = {
  nickname?: string;
  /** A phone's network only: the number and the recipient's kind never change (save a new one). */
  network?: Extract<BeneficiaryTarget, { kind: "phone" }>["network"];
  verified_name?: string | null;
};

export type UpdateBeneficiaryOutcome =
  | { outcome: "updated"; beneficiary: Beneficiary }
  | { outcome: "not_found" }
  | { outcome: "not_a_phone" };

export type DeleteBeneficiaryOutcome =
  | { outcome: "deleted" }
  | { outcome: "not_found" }
  | { outcome: "in_use"; schedule_ids: string[] };

function emit(core: WalletCore, b: Beneficiary, now_ms: number, deleted = false): void {
  const owner_user_id = core.ledger.profile()?.user_id ?? "";
  appendChange<Extract<Change, { entity: "beneficiary" }>>(
    core.storage.sql,
    "beneficiary",
    b.id,
    b.version,
    { ...b, owner_user_id, deleted },
    now_ms,
  );
}

export function getBeneficiary(core: WalletCore, id: string): Beneficiary | null {
  const row = one(
    core.storage.sql.exec<Row>(`SELECT ${COLUMNS} FROM beneficiaries WHERE id = ?`, id),
  );
  return row ? toBeneficiary(row) : null;
}

export function listBeneficiaries(core: WalletCore): Beneficiary[] {
  return core.storage.sql
    .exec<Row>(`SELECT ${COLUMNS} FROM beneficiaries ORDER BY created_at_ms, id`)
    .toArray()
    .map(toBeneficiary);
}

export function saveBeneficiary(
  core: WalletCore,
  input: { target: BeneficiaryTarget; nickname: string; verified_name: string | null; max: number },
  now_ms: number,
): SaveBeneficiaryOutcome {
  return core.storage.transactionSync((): SaveBeneficiaryOutcome => {
    if (!core.ledger.wallet()) return { outcome: "no_wallet" };
    const sql = core.storage.sql;
    const key = targetKey(input.target);
    const existing = one(
      sql.exec<{ id: string }>("SELECT id FROM beneficiaries WHERE target_key = ?", key),
    );
    if (existing) return { outcome: "duplicate", existing_id: existing.id };
    const count = one(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM beneficiaries"))?.n ?? 0;
    if (count >= input.max) return { outcome: "too_many", limit: input.max };
    const b: Beneficiary = {
      id: newBeneficiaryId(),
      nickname: input.nickname,
      target: input.target,
      verified_name: input.verified_name,
      created_at_ms: now_ms,
      updated_at_ms: now_ms,
      version: 1,
    };
    sql.exec(
      `INSERT INTO beneficiaries (id, kind, target_key, target_json, nickname, verified_name, created_at_ms, updated_at_ms, version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)`,
      b.id,
      b.target.kind,
      key,
      JSON.stringify(b.target),
      b.nickname,
      b.verified_name,
      now_ms,
      now_ms,
    );
    emit(core, b, now_ms);
    return { outcome: "saved", beneficiary: b };
  });
}

export function updateBeneficiary(
  core: WalletCore,
  id: string,
  patch: BeneficiaryPatch,
  now_ms: number,
): UpdateBeneficiaryOutcome {
  return core.storage.transactionSync((): UpdateBeneficiaryOutcome => {
    const current = getBeneficiary(core, id);
    if (!current) return { outcome: "not_found" };
    let target = current.target;
    if (patch.network !== undefined) {
      if (target.kind !== "phone") return { outcome: "not_a_phone" };
      target = { ...target, network: patch.network };
    }
    const next: Beneficiary = {
      ...current,
      nickname: patch.nickname ?? current.nickname,
      target,
      verified_name:
        patch.verified_name === undefined ? current.verified_name : patch.verified_name,
      updated_at_ms: now_ms,
      version: current.version + 1,
    };
    core.storage.sql.exec(
      "UPDATE beneficiaries SET nickname = ?, target_json = ?, verified_name = ?, updated_at_ms = ?, version = ? WHERE id = ?",
      next.nickname,
      JSON.stringify(next.target),
      next.verified_name,
      now_ms,
      next.version,
      id,
    );
    emit(core, next, now_ms);
    return { outcome: "updated", beneficiary: next };
  });
}

/** A recipient a schedule still names is not deleted: the schedule would have no one to buy for. */
export function deleteBeneficiary(
  core: WalletCore,
  id: string,
  now_ms: number,
): DeleteBeneficiaryOutcome {
  return core.storage.transactionSync((): DeleteBeneficiaryOutcome => {
    const current = getBeneficiary(core, id);
    if (!current) return { outcome: "not_found" };
    const sql = core.storage.sql;
    const users = sql
      .exec<{ id: string }>("SELECT id FROM schedules WHERE beneficiary_id = ? ORDER BY id", id)
      .toArray()
      .map((r) => r.id);
    if (users.length > 0) return { outcome: "in_use", schedule_ids: users };
    sql.exec("DELETE FROM beneficiaries WHERE id = ?", id);
    emit(core, { ...current, updated_at_ms: now_ms, version: current.version + 1 }, now_ms, true);
    return { outcome: "deleted" };
  });
}

/**
 * Recipients of the wallet's recent purchases not saved yet, most recent
 * first, each once: the last SUGGESTED_SCAN_MAX purchases are read, at most
 * SUGGESTED_MAX answered.
 */
export function suggestedTargets(core: WalletCore): Array<{
  target: BeneficiaryTarget;
  last_used_at_ms: number;
}> {
  const sql = core.storage.sql;
  const saved = new Set(
    sql
      .exec<{ target_key: string }>("SELECT target_key FROM beneficiaries")
      .toArray()
      .map((r) => r.target_key),
  );
  const rows = sql
    .exec<{ type: string; details_json: string; created_at_ms: number }>(
      `SELECT type, details_json, created_at_ms FROM transactions
       WHERE type IN ('AIRTIME', 'DATA', 'ELECTRICITY', 'TV')
       ORDER BY created_at_ms DESC, tx_ref DESC LIMIT ?`,
      SUGGESTED_SCAN_MAX,
    )
    .toArray();
  const out: Array<{ target: BeneficiaryTarget; last_used_at_ms: number }> = [];
  for (const row of rows) {
    if (out.length >= SUGGESTED_MAX) break;
    const target = targetOfPurchase(
      row.type,
      JSON.parse(row.details_json) as Record<string, unknown>,
    );
    if (!target) continue;
    const key = targetKey(target);
    if (saved.has(key)) continue;
    saved.add(key);
    out.push({ target, last_used_at_ms: row.created_at_ms });
  }
  return out;
}
