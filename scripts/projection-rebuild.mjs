// Rebuild the MongoDB projection from the ledger: every registered wallet is
// reprojected through the admin API, then (with --check) compared.
//
//   WALLET_API=https://wallet.example.com/api/v1 ADMIN_API_TOKEN=... npm run projection:rebuild [-- --check]
//
// How it finds every wallet: Durable Objects cannot be listed by name, so
// registration writes each user id to the users index (the Operations
// object); GET /admin/users pages through it in id order. For each user,
// POST /admin/wallets/{id}/reproject queues the profile, the wallet and its
// transactions (a page at a time, following next_starting_after) on that
// wallet's own change feed, which delivers them to MongoDB with the version
// guard: documents that are current stay as they are, missing or older ones
// are written. Safe to run again, or to stop and resume (--after=<user_id>).
// A 202 means queued, not yet written: --check waits for each wallet's
// backlog and reports any wallet that still differs.
//
// Bounds: REBUILD_CONCURRENCY wallets at a time (default 4), one users page
// (up to 1000 ids) in memory at a time.
const base = (process.env.WALLET_API ?? "http://127.0.0.1:8787/api/v1").replace(/\/$/, "");
const token = process.env.ADMIN_API_TOKEN;
if (!token) {
  console.error("ADMIN_API_TOKEN is required");
  process.exit(2);
}
const concurrency = Math.max(1, Math.min(16, Number(process.env.REBUILD_CONCURRENCY ?? 4)));
const check = process.argv.includes("--check");
const after_arg = process.argv.find((a) => a.startsWith("--after="))?.slice("--after=".length);
const headers = { authorization: `Bearer ${token}` };

async function call(method, path) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${base}${path}`, { method, headers });
    if (res.ok) return res.json();
    const text = await res.text();
    if (res.status < 500 || attempt >= 5)
      throw new Error(`${method} ${path}: ${res.status} ${text}`);
    await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
  }
}

async function reproject(user_id) {
  const queued = { users: 0, wallets: 0, transactions: 0 };
  let cursor;
  for (;;) {
    const page = await call(
      "POST",
      `/admin/wallets/${user_id}/reproject${cursor ? `?starting_after=${encodeURIComponent(cursor)}` : ""}`,
    );
    for (const k of Object.keys(queued)) queued[k] += page.queued[k];
    if (!page.has_more) return queued;
    cursor = page.next_starting_after;
  }
}

async function consistent(user_id) {
  for (let attempt = 0; attempt < 40; attempt++) {
    const result = await call("GET", `/admin/wallets/${user_id}/projection`);
    if (result.consistent && result.feed.backlog === 0) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

const totals = { wallets: 0, transactions: 0, failed: 0, inconsistent: 0 };
let starting_after = after_arg;
for (;;) {
  const page = await call(
    "GET",
    `/admin/users?limit=1000${starting_after ? `&starting_after=${starting_after}` : ""}`,
  );
  const ids = page.data.map((u) => u.user_id);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const id = ids[next++];
        try {
          const queued = await reproject(id);
          totals.wallets += 1;
          totals.transactions += queued.transactions;
          if (check && !(await consistent(id))) {
            totals.inconsistent += 1;
            console.error(`inconsistent: ${id}`);
          }
        } catch (error) {
          totals.failed += 1;
          console.error(`failed: ${id}: ${error.message}`);
        }
      }
    }),
  );
  if (ids.length > 0)
    console.error(`... through ${ids[ids.length - 1]} (${totals.wallets} wallets)`);
  if (!page.has_more) break;
  starting_after = ids[ids.length - 1];
}
console.log(JSON.stringify(totals));
if (totals.failed > 0 || totals.inconsistent > 0) process.exitCode = 1;
