-- The state of an aggregate after its event number `sequence`, so that loading it reads
-- only the events after that one. A cache of the log: deleting a row only costs speed.
CREATE TABLE aggregate_snapshots
(
    aggregate_type text    NOT NULL,
    aggregate_id   text    NOT NULL,
    sequence       integer NOT NULL,
    payload        text    NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
) STRICT;
