-- Stock per location and SKU, its movements, fulfillments, backorders.
CREATE TABLE inventory (
    location_id TEXT NOT NULL,
    sku         TEXT NOT NULL,
    on_hand     INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved    INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (location_id, sku)
) STRICT;

CREATE INDEX inventory_sku ON inventory (sku);

-- Every change to on_hand or reserved, so stock can be reconciled: for any
-- location and SKU, the sums of the deltas equal the current figures.
CREATE TABLE inventory_movements (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    location_id    TEXT NOT NULL,
    sku            TEXT NOT NULL,
    on_hand_delta  INTEGER NOT NULL,
    reserved_delta INTEGER NOT NULL,
    reason         TEXT NOT NULL,
    ref            TEXT NOT NULL DEFAULT '',
    actor          TEXT NOT NULL DEFAULT '',
    occurred_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX inventory_movements_item ON inventory_movements (location_id, sku, id);

CREATE TABLE fulfillments (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    shop_id         TEXT NOT NULL,
    source_kind     TEXT NOT NULL,
    source_id       TEXT NOT NULL,
    status          TEXT NOT NULL,
    carrier         TEXT NOT NULL DEFAULT '',
    tracking_number TEXT NOT NULL DEFAULT '',
    tracking_url    TEXT NOT NULL DEFAULT '',
    label_url       TEXT NOT NULL DEFAULT '',
    external_id     TEXT NOT NULL DEFAULT '',
    platform_id     TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX fulfillments_order ON fulfillments (order_id);
CREATE INDEX fulfillments_status ON fulfillments (status, updated_at);

CREATE TABLE fulfillment_lines (
    fulfillment_id TEXT NOT NULL REFERENCES fulfillments (id) ON DELETE CASCADE,
    line_id        TEXT NOT NULL REFERENCES order_lines (id) ON DELETE CASCADE,
    sku            TEXT NOT NULL,
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (fulfillment_id, line_id)
) STRICT;

CREATE INDEX fulfillment_lines_line ON fulfillment_lines (line_id);

CREATE TABLE backorders (
    id         TEXT PRIMARY KEY,
    order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    shop_id    TEXT NOT NULL,
    line_id    TEXT NOT NULL REFERENCES order_lines (id) ON DELETE CASCADE,
    sku        TEXT NOT NULL,
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    filled     INTEGER NOT NULL DEFAULT 0 CHECK (filled >= 0 AND filled <= quantity),
    status     TEXT NOT NULL,
    paid_at    INTEGER NOT NULL,
    eta        INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- Restocks fill the oldest paid open backorders of a SKU first.
CREATE INDEX backorders_fifo ON backorders (sku, status, paid_at, id);
CREATE INDEX backorders_order ON backorders (order_id);
