-- The event log: the columns sqlite-es reads and writes, plus a global position in commit
-- order and the time each event was recorded (milliseconds since the Unix epoch).
-- SQLite admits one writer at a time, so assigning MAX(position) + 1 inside the inserting
-- transaction yields positions in commit order.
CREATE TABLE events
(
    aggregate_type text    NOT NULL,
    aggregate_id   text    NOT NULL,
    sequence       integer NOT NULL CHECK (sequence >= 0),
    event_type     text    NOT NULL,
    event_version  text    NOT NULL,
    payload        text    NOT NULL,
    metadata       text    NOT NULL,
    position       integer,
    recorded_at    integer NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
) STRICT;

CREATE UNIQUE INDEX events_by_position ON events (position);

CREATE TRIGGER events_assign_position AFTER INSERT ON events
BEGIN
    UPDATE events
       SET position = (SELECT COALESCE(MAX(position), 0) + 1 FROM events)
     WHERE rowid = NEW.rowid;
END;

-- How far each projector has folded the log into its views.
CREATE TABLE projector_checkpoints
(
    name     text    NOT NULL PRIMARY KEY,
    position integer NOT NULL
) STRICT;

INSERT INTO projector_checkpoints (name, position) VALUES ('views', 0);

-- Views: one row per object, its JSON in `data`; `sort_key` orders listings (users by
-- creation) and `position` is the last log position folded into the row.
CREATE TABLE user_views
(
    id       text    NOT NULL PRIMARY KEY,
    owner    text    NOT NULL,
    sort_key integer NOT NULL,
    position integer NOT NULL,
    data     text    NOT NULL
) STRICT;

CREATE INDEX user_views_by_sort_key ON user_views (sort_key, id);

-- Sign-in sessions, checked on every request that carries a user token.
CREATE TABLE session_views
(
    id       text    NOT NULL PRIMARY KEY,
    owner    text    NOT NULL,
    sort_key integer NOT NULL,
    position integer NOT NULL,
    data     text    NOT NULL
) STRICT;
