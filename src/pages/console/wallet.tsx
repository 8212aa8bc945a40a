/** @jsxImportSource hono/jsx */
/**
 * The console's wallet page: balance, available, held, the KYC tier (its
 * limits, today's use, an over_tier_cap anomaly), the freeze, the newest
 * transactions (each linking to its page), proposals and the audit log, and
 * for operators the forms that adjust, freeze and unfreeze (each confirmed on
 * its own page before it acts).
 */
import { ADJUSTMENT_REASON_CODES, FREEZE_MODES } from "../../domain/acts";
import { formatMinor } from "../../domain/money";
import type { WalletPageData } from "../../services/console";
import { ConsolePage } from "./layout";
import { ActForm, at, AuditTable, Banner, type DoneFlag, ProposalsTable } from "./parts";
import { consoleTransactionPath } from "./paths";

export function WalletPage(props: {
  data: WalletPageData;
  operator: string;
  /** The form token when the viewer may act (operator or approver); null for a viewer. */
  csrf: string | null;
  done?: DoneFlag;
}) {
  const { summary, standing, over_tier_cap, transactions, proposals, audit } = props.data;
  const user_id = summary.user_id;
  const csrf = props.csrf;
  return (
    <ConsolePage title={`Wallet ${user_id}`} operator={props.operator}>
      <h1>
        Wallet <code>{user_id}</code>
      </h1>
      <Banner done={props.done} />
      <section>
        <div class="cards">
          <div class="card">
            Balance <b data-field="balance">{formatMinor(summary.balance_minor)}</b>
          </div>
          <div class="card">
            Available <b data-field="available">{formatMinor(summary.available_minor)}</b>
          </div>
          <div class="card">
            Held <b data-field="held">{formatMinor(summary.held_minor)}</b>
          </div>
          <div class="card">
            KYC tier <b data-field="tier">{summary.tier}</b>
            {standing?.limits ? (
              <span class="muted" data-field="tier-limits">
                daily {formatMinor(standing.limits.daily_limit_minor)}, used today{" "}
                {formatMinor(standing.used_today_minor)}, cap{" "}
                {standing.limits.max_balance_minor === null
                  ? "none"
                  : formatMinor(standing.limits.max_balance_minor)}
              </span>
            ) : (
              <span class="muted">moves no money until verified (KYC required)</span>
            )}
            {over_tier_cap.length > 0 ? (
              <span class="failed" data-field="over-tier-cap">
                over the tier's balance cap ({over_tier_cap.length} open)
              </span>
            ) : null}
          </div>
          <div class="card">
            Frozen <b data-field="frozen">{summary.frozen ? summary.frozen.mode : "no"}</b>
            {summary.frozen ? <span class="muted">{summary.frozen.reason}</span> : null}
          </div>
        </div>
      </section>
      <section>
        <h2>Recent transactions</h2>
        {transactions.length === 0 ? (
          <p class="empty">None.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Reference</th>
                <th>Type</th>
                <th>Status</th>
                <th class="num">Amount</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {transactions.map((t) => (
                <tr>
                  <td>
                    <a href={consoleTransactionPath(t.tx_ref)}>
                      <code>{t.tx_ref}</code>
                    </a>
                  </td>
                  <td>{t.type}</td>
                  <td class={t.status}>{t.status}</td>
                  <td class="num">{formatMinor(t.amount_minor)}</td>
                  <td>{at(t.created_at_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {csrf ? (
        <section>
          <h2>Act on this wallet</h2>
          <div class="charts">
            <ActForm user_id={user_id} act="adjust" csrf={csrf} label="Adjust…">
              <h3>Adjust</h3>
              <label>
                Direction{" "}
                <select name="direction">
                  <option value="credit">credit</option>
                  <option value="debit">debit</option>
                </select>
              </label>
              <label>
                Amount (NGN) <input name="amount" required inputmode="decimal" />
              </label>
              <label>
                Reason code{" "}
                <select name="reason_code">
                  {ADJUSTMENT_REASON_CODES.map((r) => (
                    <option value={r}>{r}</option>
                  ))}
                </select>
              </label>
              <label>
                Reason (operators) <input name="reason" required />
              </label>
              <label>
                Note (the user sees it) <input name="user_note" required />
              </label>
            </ActForm>
            {summary.frozen ? (
              <ActForm user_id={user_id} act="unfreeze" csrf={csrf} label="Unfreeze…">
                <h3>Unfreeze</h3>
                <label>
                  Reason <input name="reason" required />
                </label>
              </ActForm>
            ) : (
              <ActForm user_id={user_id} act="freeze" csrf={csrf} label="Freeze…">
                <h3>Freeze</h3>
                <label>
                  Mode{" "}
                  <select name="mode">
                    {FREEZE_MODES.map((m) => (
                      <option value={m}>{m}</option>
                    ))}
                  </select>
                </label>
                <label>
                  Reason shown to the user <input name="reason" required />
                </label>
                <label>
                  Internal reason <input name="internal_reason" required />
                </label>
              </ActForm>
            )}
          </div>
        </section>
      ) : null}
      <section>
        <h2>Proposals</h2>
        <ProposalsTable proposals={proposals} />
      </section>
      <section>
        <h2>Audit log</h2>
        <AuditTable entries={audit} />
      </section>
    </ConsolePage>
  );
}
