-- Ledger entries, listed per user (owner) newest first (sort_key is the log position).
CREATE TABLE transaction_views
(
    id       text    NOT NULL PRIMARY KEY,
    owner    text    NOT NULL,
    sort_key integer NOT NULL,
    position integer NOT NULL,
    data     text    NOT NULL
) STRICT;

CREATE INDEX transaction_views_by_owner ON transaction_views (owner, sort_key);
