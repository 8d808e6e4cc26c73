-- The event log: the columns postgres-es reads and writes, plus a global position in commit
-- order and the time each event was recorded (milliseconds since the Unix epoch).
CREATE TABLE events
(
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    sequence       bigint NOT NULL CHECK (sequence >= 0),
    event_type     text   NOT NULL,
    event_version  text   NOT NULL,
    payload        json   NOT NULL,
    metadata       json   NOT NULL,
    position       bigint NOT NULL,
    recorded_at    bigint NOT NULL DEFAULT (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE SEQUENCE events_position_seq;

CREATE UNIQUE INDEX events_by_position ON events (position);

-- A sequence value becomes visible when its transaction commits, not when it is drawn, so two
-- concurrent appends could become visible out of order and a reader that remembers "the last
-- position I saw" would skip the late one for good. Appends are therefore serialised: each
-- takes a transaction-scoped advisory lock before drawing its position and holds it until it
-- commits, which makes position order equal commit order.
CREATE FUNCTION events_assign_position() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_advisory_xact_lock(7304220101);
    NEW.position := nextval('events_position_seq');
    RETURN NEW;
END
$$;

CREATE TRIGGER events_assign_position
    BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_assign_position();

-- How far each projector has folded the log into its views.
CREATE TABLE projector_checkpoints
(
    name     text   NOT NULL PRIMARY KEY,
    position bigint NOT NULL
);

INSERT INTO projector_checkpoints (name, position) VALUES ('views', 0);

-- Views: one row per object, its JSON in `data`; `sort_key` orders listings (users by
-- creation) and `position` is the last log position folded into the row.
CREATE TABLE user_views
(
    id       text    NOT NULL PRIMARY KEY,
    owner    text    NOT NULL,
    sort_key bigint  NOT NULL,
    position bigint  NOT NULL,
    data     text    NOT NULL
);

CREATE INDEX user_views_by_sort_key ON user_views (sort_key, id);

-- Sign-in sessions, checked on every request that carries a user token.
CREATE TABLE session_views
(
    id       text    NOT NULL PRIMARY KEY,
    owner    text    NOT NULL,
    sort_key bigint  NOT NULL,
    position bigint  NOT NULL,
    data     text    NOT NULL
);
