/**
 * The intake of callbacks that name only a provider reference we chose (a
 * VTpass transaction-update names its request_id): unsigned hints to requery,
 * accepted on a secret URL, queued for the consumer at most twice per
 * CALLBACK_REQUERY_INTERVAL_MS per reference. The source's port reads the
 * body and indexes the references (src/providers/port.ts); nothing here knows
 * a vendor's format.
 *
 *   - a reference of a shape we could never have made is dropped before
 *     anything is named by it (and never logged: it may be 60 KB of anything);
 *   - a reference we never bound is dropped, writing nothing;
 *   - the first callback for a reference is queued at once, repeats within the
 *     interval are folded into one requery at its end (ProviderRefs.claimRequery),
 *     and a requery already asked for that starts after this callback covers it.
 */
import { errors } from "../lib/errors";
import { type AppContext, executionCtx } from "../lib/http";
import { log } from "../lib/log";
import { eventPortFor, type EventSource } from "../providers";
import { eventMessageFor } from "../queue/messages";

export async function queueReferenceCallback(
  c: AppContext,
  source: EventSource,
  raw_body: string,
): Promise<void> {
  const request_id = c.var.request_id;
  const port = eventPortFor(source, {
    env: c.env,
    ctx: executionCtx(c),
    config: c.var.config,
    request_id,
  });
  // The routes serve a source's callback URL only when that provider is configured.
  if (!port?.references)
    throw new Error(
      `callbacks from ${source} are served without a port that indexes its references`,
    );
  const parsed = port.parseEvent(raw_body);
  if (parsed.kind === "ignored") {
    log.info("callback ignored", { request_id, source, reason: parsed.reason });
    return;
  }
  if (parsed.kind === "forged") {
    log.warn("callback ignored: a reference we could not have made", {
      request_id,
      source,
      reason: parsed.reason,
      length: parsed.length,
    });
    return;
  }
  const reference = parsed.event.provider_ref;
  const claim = await port.references.claimRequery(reference, Date.now());
  if (claim.claim === "unknown") {
    log.warn("callback for a reference we never bound", {
      request_id,
      source,
      provider_reference: reference,
    });
    return;
  }
  if (claim.claim === "covered") {
    log.info("callback folded into a requery already queued", {
      request_id,
      source,
      provider_reference: reference,
    });
    return;
  }
  try {
    await c.env.WALLET_EVENTS.send(
      eventMessageFor(source, request_id, raw_body, Date.now()),
      claim.claim === "later" ? { delaySeconds: claim.delay_s } : undefined,
    );
  } catch (error) {
    log.error("callback enqueue failed", { request_id, source, error });
    // The provider will send it again: let that one claim the requery instead of finding it taken.
    await port.references
      .releaseRequery(reference, claim.at_ms, claim.previous_at_ms)
      .catch((release_error) =>
        log.error("requery claim not released", { request_id, source, error: release_error }),
      );
    throw errors.unavailable(
      "queue_unavailable",
      "The callback could not be queued; please retry.",
    );
  }
}
