-- Transaction ids count per PostgreSQL server. A log moved to another server (pg_dump and
-- restore, logical replication) would meet ids lower than its events hold, and new events
-- would sort before old ones, behind every reader's place. So the ids Clara records and
-- reads by carry an offset, which start-up raises past the log's highest when needed (see
-- `storage::cursor::keep_ids_ahead`). The offset is a constant in a function's body, which
-- start-up rewrites, rather than a row: the position trigger reads it for every event, and
-- a constant costs nothing to read.
CREATE FUNCTION clara_xact_offset() RETURNS bigint
    LANGUAGE sql IMMUTABLE AS
$$ SELECT 0::bigint $$;

-- The id an event of the current transaction records.
CREATE FUNCTION clara_xact_id() RETURNS bigint
    LANGUAGE sql VOLATILE AS
$$ SELECT pg_current_xact_id()::text::bigint + clara_xact_offset() $$;

-- Below this id every transaction has ended: no event can still commit there.
CREATE FUNCTION clara_settled_below() RETURNS bigint
    LANGUAGE sql STABLE AS
$$ SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint + clara_xact_offset() $$;

CREATE OR REPLACE FUNCTION events_assign_position() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(clara_append_lock_key());
    NEW.xact_id := clara_xact_id();
    NEW.position := nextval('events_position_seq');
    RETURN NEW;
END
$$;
