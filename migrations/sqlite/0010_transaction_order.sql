-- The columns PostgreSQL needs to let appends run side by side (see its migration 0010).
-- SQLite has one writer, so positions are in commit order already: xact_id stays 0 and the
-- (xact_id, position) order every reader uses is position order.
ALTER TABLE events ADD COLUMN xact_id integer NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN folded integer NOT NULL DEFAULT 0;
CREATE INDEX events_in_xact_order ON events (xact_id, position);
CREATE INDEX events_left_to_fold ON events (xact_id, position) WHERE NOT folded;
ALTER TABLE projector_checkpoints ADD COLUMN xact_id integer NOT NULL DEFAULT 0;
