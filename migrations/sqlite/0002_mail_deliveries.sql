-- One row per event whose mail the dispatcher has claimed ('sending') or delivered ('sent').
CREATE TABLE mail_deliveries
(
    position     integer NOT NULL PRIMARY KEY,
    status       text    NOT NULL,
    attempted_at integer NOT NULL
) STRICT;

-- The mail dispatcher reads the log from its own checkpoint.
INSERT INTO projector_checkpoints (name, position) VALUES ('mailer', 0);
