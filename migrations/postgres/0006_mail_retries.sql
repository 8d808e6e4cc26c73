-- A mail that failed is no longer retried by holding the dispatcher's checkpoint: it gets a
-- status of its own ('retry' until next_attempt_at, or 'failed' for good) and the
-- dispatcher goes on with later mail.
ALTER TABLE mail_deliveries ADD COLUMN attempts bigint NOT NULL DEFAULT 0;
ALTER TABLE mail_deliveries ADD COLUMN next_attempt_at bigint;
ALTER TABLE mail_deliveries ADD COLUMN last_error text;
