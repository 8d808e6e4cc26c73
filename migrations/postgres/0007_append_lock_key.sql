-- The key of the advisory lock that serialises appends, in one place: the trigger that
-- draws each event's position takes it, and so does the code that must keep appends out
-- while it writes the views.
CREATE FUNCTION clara_append_lock_key() RETURNS bigint
    LANGUAGE sql IMMUTABLE AS
$$ SELECT 7304220101::bigint $$;

CREATE OR REPLACE FUNCTION events_assign_position() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_advisory_xact_lock(clara_append_lock_key());
    NEW.position := nextval('events_position_seq');
    RETURN NEW;
END
$$;
