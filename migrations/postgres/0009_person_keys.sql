-- Each person's data key, wrapped by the master key (DATA_KEY). Personal data enters the log
-- only sealed under it; deleting an account empties its row, and what the log holds of the
-- person can no longer be read.
CREATE TABLE person_keys
(
    user_id text NOT NULL PRIMARY KEY,
    wrapped text NOT NULL
);

-- How far the one-time sealing of events written before person keys existed has read.
INSERT INTO projector_checkpoints (name, position) VALUES ('sealed', 0);
