/**
 * watch.js: the browser side of the watch protocol, for the transaction status
 * pages (src/pages/transaction-status.tsx), served as a file from our own origin
 * (`GET /api/v1/pages/watch.js`) because the pages' CSP allows no inline script.
 *
 * It is plain ES2017 text, not bundled: everything it must agree on with the
 * server is injected from the modules that define it, when this module loads:
 * - the protocol (version, heartbeat frames, close codes) and the status
 *   frame's shape, as JSON Schema generated from the zod schema in
 *   src/durable/room/protocol.ts;
 * - the reconnect and heartbeat bounds from src/pages/limits.ts.
 * The words it shows come from the page itself (`data-texts`, produced by
 * `statusMessages`), so browser and server cannot say different things.
 *
 * Behaviour: connect with the page's ticket; on each status frame update the
 * badge, headline, body and next step in place; after a terminal status, close
 * and stop. If the socket drops while PENDING, reconnect with exponential
 * backoff and jitter (bounded); never retry after a close code that says the
 * same request would fail again, or after 4001 (the page's ticket expired:
 * only a reload brings a fresh one).
 */
import { z } from "zod";
import { TX_STATUSES } from "../domain/transactions";
import {
  CLOSE,
  FINAL_CLOSE_CODES,
  PING_FRAME,
  PONG_FRAME,
  PROTOCOL_VERSION,
  StatusMessage,
} from "../durable/room/protocol";
import {
  WATCH_PING_INTERVAL_MS,
  WATCH_RECONNECT_ATTEMPTS_MAX,
  WATCH_RECONNECT_BASE_MS,
  WATCH_RECONNECT_MAX_MS,
} from "./limits";

/** The element watch.js reads its inputs from (data attributes) and updates. */
export const WATCH_ROOT_ID = "tx";

/**
 * A bill's token slot (src/pages/bill-status.tsx): rendered on every bill's
 * page, hidden until a token is known, so a token that arrives in a later
 * status frame has a place to appear without a reload.
 */
export const TOKEN_IDS = {
  box: "token-box",
  token: "token",
  units: "units",
  copy: "token-copy",
  copied: "token-copied",
} as const;

/** Digits per group when a token is shown: how DisCos print them and how meters' keypads are read. */
export const TOKEN_GROUP_SIZE = 4;

/**
 * A token as shown: an all-digit token in groups of TOKEN_GROUP_SIZE
 * ("2636 2054 4059 8275 7802"); anything else (a Showmax voucher) as it is.
 * watch.js does the same with the same size (`groupToken` in its body).
 */
export function groupToken(token: string): string {
  if (!/^\d+$/.test(token)) return token;
  const groups: string[] = [];
  for (let i = 0; i < token.length; i += TOKEN_GROUP_SIZE)
    groups.push(token.slice(i, i + TOKEN_GROUP_SIZE));
  return groups.join(" ");
}

const config = {
  version: PROTOCOL_VERSION,
  ping: PING_FRAME,
  pong: PONG_FRAME,
  statuses: TX_STATUSES,
  settledCode: CLOSE.settled.code,
  finalCodes: FINAL_CLOSE_CODES,
  expiredCode: CLOSE.credential_expired.code,
  statusSchema: z.toJSONSchema(StatusMessage),
  pingMs: WATCH_PING_INTERVAL_MS,
  backoffBaseMs: WATCH_RECONNECT_BASE_MS,
  backoffMaxMs: WATCH_RECONNECT_MAX_MS,
  attemptsMax: WATCH_RECONNECT_ATTEMPTS_MAX,
  rootId: WATCH_ROOT_ID,
  tokenIds: TOKEN_IDS,
  tokenGroup: TOKEN_GROUP_SIZE,
};

// Raw: the backslashes of its regular expressions reach the browser unchanged.
const BODY = String.raw`
  var root = document.getElementById(C.rootId);
  if (!root) return;
  var tok = {
    box: document.getElementById(C.tokenIds.box),
    token: document.getElementById(C.tokenIds.token),
    units: document.getElementById(C.tokenIds.units),
    copy: document.getElementById(C.tokenIds.copy),
    copied: document.getElementById(C.tokenIds.copied),
  };
  // The copy button works with or without live updates (a settled page has no socket).
  wireCopy();
  if (!root.dataset.ticket || !root.dataset.txRef || typeof WebSocket !== "function") return;
  var txRef = root.dataset.txRef;
  var ticket = root.dataset.ticket;
  var texts = JSON.parse(root.dataset.texts || "{}");
  var el = {
    status: document.getElementById("status"),
    headline: document.getElementById("headline"),
    body: document.getElementById("body"),
    next: document.getElementById("next"),
    live: document.getElementById("live"),
  };
  var current = root.dataset.status;
  var attempts = 0;
  var socket = null;
  var pingTimer = null;
  var retryTimer = null;
  var done = isTerminal(current);

  // A minimal JSON Schema check (type, const, enum, anyOf, required): enough
  // for the schema the server generated from its zod definition. Unknown
  // extra fields are allowed, so a newer server does not break older pages.
  function matches(schema, value) {
    if (schema.anyOf) return schema.anyOf.some(function (s) { return matches(s, value); });
    if ("const" in schema && value !== schema.const) return false;
    if (schema.enum && schema.enum.indexOf(value) === -1) return false;
    switch (schema.type) {
      case "string": return typeof value === "string";
      case "number": return typeof value === "number" && isFinite(value);
      case "integer": return typeof value === "number" && Math.floor(value) === value;
      case "boolean": return typeof value === "boolean";
      case "null": return value === null;
      case "object":
        if (!value || typeof value !== "object") return false;
        var required = schema.required || [];
        for (var i = 0; i < required.length; i++) if (!(required[i] in value)) return false;
        var props = schema.properties || {};
        for (var key in props) if (key in value && !matches(props[key], value[key])) return false;
        return true;
      default: return true;
    }
  }

  function isTerminal(status) { return status !== "PENDING" && C.statuses.indexOf(status) !== -1; }

  function say(node, text) { if (node && typeof text === "string") node.textContent = text; }

  // Same rule as groupToken on the server: all digits in groups, anything else as it is.
  function groupToken(token) {
    if (!/^\d+$/.test(token)) return token;
    var groups = [];
    for (var i = 0; i < token.length; i += C.tokenGroup) groups.push(token.slice(i, i + C.tokenGroup));
    return groups.join(" ");
  }

  // A token from a status frame fills the slot the page rendered empty (textContent: never markup).
  function showToken(token, units) {
    if (!tok.box || !tok.token || typeof token !== "string" || token === "") return;
    tok.token.dataset.token = token;
    tok.token.textContent = groupToken(token);
    if (tok.units) {
      tok.units.textContent = typeof units === "string" ? units : "";
      tok.units.hidden = typeof units !== "string" || units === "";
    }
    tok.box.hidden = false;
  }

  // Copy with the clipboard API; where it is missing or refused, select the token for the user to copy.
  function wireCopy() {
    if (!tok.copy || !tok.token) return;
    tok.copy.hidden = false;
    tok.copy.addEventListener("click", function () {
      var token = tok.token.dataset.token || tok.token.textContent.replace(/\s+/g, "");
      var selectIt = function () {
        var range = document.createRange();
        range.selectNodeContents(tok.token);
        var selection = window.getSelection();
        if (selection) { selection.removeAllRanges(); selection.addRange(range); }
        say(tok.copied, "Selected: copy it with your device's copy command.");
      };
      if (!navigator.clipboard || typeof navigator.clipboard.writeText !== "function") return selectIt();
      navigator.clipboard.writeText(token).then(function () { say(tok.copied, "Copied."); }, selectIt);
    });
  }

  function render(message) {
    // A stage-specific text (e.g. "PENDING:attempt_failed") wins over the status's own.
    var t = texts[message.status + ":" + message.stage] || texts[message.status];
    if (!t) return;
    current = message.status;
    root.dataset.status = current;
    if (el.status) {
      el.status.className = "status " + current;
      el.status.dataset.status = current;
      el.status.textContent = current;
    }
    say(el.headline, t.headline);
    say(el.body, t.reason_replaces_body && message.failure_reason ? message.failure_reason : t.body);
    say(el.next, t.next);
    if ("token" in message) showToken(message.token, message.units);
    if (isTerminal(current)) {
      done = true;
      say(el.live, "");
      if (socket) socket.close(1000, "settled");
    }
  }

  function stop(text) {
    done = true;
    say(el.live, text);
  }

  function schedule() {
    if (attempts >= C.attemptsMax) return stop("Live updates stopped. Reload the page to see the latest status.");
    var delay = Math.min(C.backoffMaxMs, C.backoffBaseMs * Math.pow(2, attempts));
    delay = Math.round(delay * (0.5 + Math.random() / 2));
    attempts += 1;
    say(el.live, "Reconnecting for live updates...");
    retryTimer = setTimeout(connect, delay);
  }

  function connect() {
    retryTimer = null;
    if (done) return;
    var url = new URL(root.dataset.wsPath, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("tx_ref", txRef);
    url.searchParams.set("ticket", ticket);
    var ws = new WebSocket(url.toString());
    socket = ws;
    ws.onopen = function () {
      attempts = 0;
      say(el.live, "");
      pingTimer = setInterval(function () { if (ws.readyState === 1) ws.send(C.ping); }, C.pingMs);
    };
    ws.onmessage = function (event) {
      if (event.data === C.pong || typeof event.data !== "string") return;
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message && message.type === "status" && message.tx_ref === txRef && matches(C.statusSchema, message)) render(message);
    };
    ws.onclose = function (event) {
      clearInterval(pingTimer);
      if (socket === ws) socket = null;
      if (done) return;
      if (C.finalCodes.indexOf(event.code) !== -1) return stop("Live updates are not available for this page. Reload it to see the latest status.");
      // The page's ticket ended: the same ticket would be refused again, and only a reload brings a fresh one.
      if (event.code === C.expiredCode) return stop("Live updates for this page have ended. Reload it to see the latest status and keep watching.");
      schedule();
    };
  }

  // Back online or back in view: do not wait out the backoff.
  function retryNow() {
    if (done || socket || !retryTimer) return;
    clearTimeout(retryTimer);
    connect();
  }
  window.addEventListener("online", retryNow);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") retryNow(); });

  if (!done) connect();
`;

/** The whole script: generated once per isolate. */
export const WATCH_SCRIPT = `/* watch.js: live transaction status (protocol v${PROTOCOL_VERSION}). Generated by the server. */
(function () {
  "use strict";
  var C = ${JSON.stringify(config)};
${BODY}
})();
`;
