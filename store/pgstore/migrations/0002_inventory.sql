-- Stock per location and SKU, its movements, fulfillments, backorders.
CREATE TABLE inventory (
    location_id TEXT NOT NULL,
    sku         TEXT NOT NULL,
    on_hand     BIGINT NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved    BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (location_id, sku)
);

CREATE INDEX inventory_sku ON inventory (sku);

-- Every change to on_hand or reserved, so stock can be reconciled: for any
-- location and SKU, the sums of the deltas equal the current figures.
CREATE TABLE inventory_movements (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    location_id    TEXT NOT NULL,
    sku            TEXT NOT NULL,
    on_hand_delta  BIGINT NOT NULL,
    reserved_delta BIGINT NOT NULL,
    reason         TEXT NOT NULL,
    ref            TEXT NOT NULL DEFAULT '',
    actor          TEXT NOT NULL DEFAULT '',
    occurred_at    BIGINT NOT NULL
);

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
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE INDEX fulfillments_order ON fulfillments (order_id);
CREATE INDEX fulfillments_status ON fulfillments (status, updated_at);

CREATE TABLE fulfillment_lines (
    fulfillment_id TEXT NOT NULL REFERENCES fulfillments (id) ON DELETE CASCADE,
    line_id        TEXT NOT NULL REFERENCES order_lines (id) ON DELETE CASCADE,
    sku            TEXT NOT NULL,
    quantity       BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (fulfillment_id, line_id)
);

CREATE INDEX fulfillment_lines_line ON fulfillment_lines (line_id);

CREATE TABLE backorders (
    id         TEXT PRIMARY KEY,
    order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    shop_id    TEXT NOT NULL,
    line_id    TEXT NOT NULL REFERENCES order_lines (id) ON DELETE CASCADE,
    sku        TEXT NOT NULL,
    quantity   BIGINT NOT NULL CHECK (quantity > 0),
    filled     BIGINT NOT NULL DEFAULT 0 CHECK (filled >= 0 AND filled <= quantity),
    status     TEXT NOT NULL,
    paid_at    BIGINT NOT NULL,
    eta        BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Restocks fill the oldest paid open backorders of a SKU first.
CREATE INDEX backorders_fifo ON backorders (sku, status, paid_at, id);
CREATE INDEX backorders_order ON backorders (order_id);
