-- Agent tasks, listed per user (owner) newest first (sort_key is the creation's log position).
CREATE TABLE task_views
(
    id       text    NOT NULL PRIMARY KEY,
    owner    text    NOT NULL,
    sort_key integer NOT NULL,
    position integer NOT NULL,
    data     text    NOT NULL
) STRICT;

CREATE INDEX task_views_by_owner ON task_views (owner, sort_key);

-- The work queue: sort_key is when a task is next due to a worker (never, once it ended).
CREATE TABLE task_queue
(
    id       text    NOT NULL PRIMARY KEY,
    owner    text    NOT NULL,
    sort_key integer NOT NULL,
    position integer NOT NULL,
    data     text    NOT NULL
) STRICT;

CREATE INDEX task_queue_by_due ON task_queue (sort_key);
