-- Orders, their lines and their audit trail. Times are unix microseconds, UTC.
CREATE TABLE orders (
    id                  TEXT PRIMARY KEY,
    shop_id             TEXT NOT NULL,
    platform            TEXT NOT NULL,
    external_id         TEXT NOT NULL,
    external_number     TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL,
    platform_status     TEXT NOT NULL DEFAULT '',
    currency            TEXT NOT NULL,
    customer            TEXT NOT NULL DEFAULT '{}',
    shipping_address    TEXT NOT NULL DEFAULT '{}',
    shipping_lines      TEXT NOT NULL DEFAULT '[]',
    attributes          TEXT NOT NULL DEFAULT '[]',
    tags                TEXT NOT NULL DEFAULT '[]',
    note                TEXT NOT NULL DEFAULT '',
    explanations        TEXT NOT NULL DEFAULT '[]',
    subtotal            BIGINT NOT NULL DEFAULT 0,
    discount_total      BIGINT NOT NULL DEFAULT 0,
    shipping_total      BIGINT NOT NULL DEFAULT 0,
    tax_total           BIGINT NOT NULL DEFAULT 0,
    total               BIGINT NOT NULL DEFAULT 0,
    taxes_included      BOOLEAN NOT NULL DEFAULT FALSE,
    refunded            BIGINT NOT NULL DEFAULT 0,
    paid_at             BIGINT,
    platform_updated_at BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    status_changed_at   BIGINT NOT NULL,          -- when the order entered its status
    UNIQUE (shop_id, external_id)
);

CREATE INDEX orders_status_changed ON orders (status, status_changed_at);

CREATE TABLE order_lines (
    id                TEXT PRIMARY KEY,
    order_id          TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position          BIGINT NOT NULL,
    external_id       TEXT NOT NULL DEFAULT '',
    sku               TEXT NOT NULL DEFAULT '',
    name              TEXT NOT NULL DEFAULT '',
    product_id        TEXT NOT NULL DEFAULT '',
    variant_id        TEXT NOT NULL DEFAULT '',
    quantity          BIGINT NOT NULL CHECK (quantity > 0),
    cancelled         BIGINT NOT NULL DEFAULT 0 CHECK (cancelled >= 0 AND cancelled <= quantity),
    unit_price        BIGINT NOT NULL DEFAULT 0,
    discount          BIGINT NOT NULL DEFAULT 0,
    tax               BIGINT NOT NULL DEFAULT 0,
    requires_shipping BOOLEAN NOT NULL DEFAULT TRUE,
    properties        TEXT NOT NULL DEFAULT '[]',
    UNIQUE (order_id, position)
);

CREATE TABLE order_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT 'null',
    occurred_at BIGINT NOT NULL
);

CREATE INDEX order_events_order ON order_events (order_id, id);
