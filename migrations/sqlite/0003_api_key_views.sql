-- The current API key of each user (by user id); the token is derived, never stored.
CREATE TABLE api_key_views
(
    id       text    NOT NULL PRIMARY KEY,
    owner    text    NOT NULL,
    sort_key integer NOT NULL,
    position integer NOT NULL,
    data     text    NOT NULL
) STRICT;
