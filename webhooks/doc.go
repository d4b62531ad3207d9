// Package webhooks is orderhub's order intake from Shopify, WooCommerce and
// BigCommerce: the HTTP endpoint POST /webhooks/{platform}/{shop_id}, the
// drain job that turns stored deliveries into orders, and the periodic
// reconciliation pass that fetches what webhooks missed.
//
// # Intake
//
// Handler caps the body (413), reads it once under the process's budget of
// body bytes in flight (bodylimit; 503 with Retry-After past it), verifies
// it exactly as the platform signs it (401), refuses a body that is not
// UTF-8 JSON (400), takes the platform's dedupe key (400 when it cannot),
// and stores the raw bytes as a receipt, with the drain job when none is on
// its way, in one transaction before it answers 200
// {"status":"accepted","receipt_id":…}. A database that cannot store
// (full, failing, unreachable) answers 503 with Retry-After, so the
// platform delivers again, and is reported to the WriteReporter that
// readiness reads. GroupInbox shares that transaction
// between concurrent deliveries (group commit), so a burst pays for one
// commit, and still answers each only after its commit.
// A delivery already stored answers 200 {"status":"duplicate"} and adds
// nothing. WooCommerce's unsigned creation ping gets exactly 200 and is not
// stored. Only our own faults and outages answer 5xx, so platforms retry
// only those.
//
// # Processing
//
// The receipts table is the inbox: the intake does not pay one River job per
// webhook (River on SQLite works about 1.5k jobs/s). A flag in the store
// says whether a drain job (orderhub.ProcessReceiptsArgs) is on its way;
// only the receipt that finds it down enqueues one, and the drain lowers it
// when it finds nothing due (store.IntakeTx.FinishDrain). The drain claims
// due receipts in batches, normalises each with its connector, and applies
// them to orders in one transaction per batch; BigCommerce's thin callbacks
// are completed by fetching the order over HTTP first, outside any
// transaction. A receipt
// that fails is retried with exponential backoff and, after MaxAttempts (or
// at once when its payload can never be read), becomes a dead letter an
// operator can list and replay (store.IntakeTx). A periodic sweep job
// (PeriodicJobs) drains retries as they come due, restarts draining after a
// crash, and on PostgreSQL catches a receipt whose transaction was still
// open when the drain finished.
//
// Applying follows store.UpsertPlatformOrder: new orders start pending and
// walk forward to the platform's status, older updates are recorded but not
// applied, and statuses only move forward. An order that reaches paid gets
// its routing job (orderhub.RouteOrderArgs) in the same transaction. A
// platform cancellation of an order routing already acted on goes through
// the Canceller, which releases what was reserved.
//
// # Boundaries
//
// The package owns no wire format (the connectors do) and no SQL (the store
// does). It reaches platform APIs only through the small interfaces
// BigCommerceFetcher and OrderLister, which the composition root wires to
// the API clients, and it logs with the *slog.Logger it is given, with the
// keys shop, platform, order_id and err, never a secret or a body.
package webhooks
