-- One row per event whose mail the dispatcher has claimed ('sending') or delivered ('sent').
CREATE TABLE mail_deliveries
(
    position     bigint NOT NULL PRIMARY KEY,
    status       text    NOT NULL,
    attempted_at bigint NOT NULL
);

-- The mail dispatcher reads the log from its own checkpoint.
INSERT INTO projector_checkpoints (name, position) VALUES ('mailer', 0);
