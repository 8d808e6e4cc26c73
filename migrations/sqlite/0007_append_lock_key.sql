-- PostgreSQL's append lock key moved into a function of its own; SQLite has a single writer
-- and no such lock, so nothing changes here. (Migrations are numbered alike on both.)
SELECT 1;
