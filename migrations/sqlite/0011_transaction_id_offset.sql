-- PostgreSQL's transaction ids get an offset here (see its migration 0011); SQLite records
-- none, so nothing changes. (Migrations are numbered alike on both.)
SELECT 1;
