-- Appends no longer wait for one another. Each event records the id of the transaction that
-- wrote it, and readers walk the log in (xact_id, position) order, reading only events of
-- transactions older than every transaction still running
-- (`pg_snapshot_xmin(pg_current_snapshot())`): an event that commits later can then only
-- sort after what a reader has already passed, so none is skipped, while commits proceed in
-- parallel. Events written before this migration keep xact_id 0 and their position order.
ALTER TABLE events ADD COLUMN xact_id bigint NOT NULL DEFAULT 0;

-- Whether the transaction that wrote the event folded it into the views itself (every
-- command does); the projector folds only the others (written by hand, or by an older
-- release that left a backlog).
ALTER TABLE events ADD COLUMN folded boolean NOT NULL DEFAULT false;

CREATE INDEX events_in_xact_order ON events (xact_id, position);
CREATE INDEX events_left_to_fold ON events (xact_id, position) WHERE NOT folded;

-- Checkpoints are places in that order.
ALTER TABLE projector_checkpoints ADD COLUMN xact_id bigint NOT NULL DEFAULT 0;

-- The append lock is now taken shared: appends run side by side, and only a rebuild of the
-- views (which takes it exclusively) keeps them out. (Readers are kept right by the bound
-- above, not by the order in which the id and the position are drawn.)
CREATE OR REPLACE FUNCTION events_assign_position() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(clara_append_lock_key());
    NEW.xact_id := pg_current_xact_id()::text::bigint;
    NEW.position := nextval('events_position_seq');
    RETURN NEW;
END
$$;
