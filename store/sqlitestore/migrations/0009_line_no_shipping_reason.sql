-- Why a line needs no shipping, in the platform connector's words (a
-- digital product, a gift card); empty for a line that ships. Routing
-- leaves such a line out on purpose and shows this in its explanation.
ALTER TABLE order_lines ADD COLUMN no_shipping_reason TEXT NOT NULL DEFAULT '';
