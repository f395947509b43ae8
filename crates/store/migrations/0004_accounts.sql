-- 0004: user accounts and sessions (issue 6).
--
-- Everything here lives inside the SQLCipher-encrypted database. Passwords
-- are kept only as Argon2id PHC strings; the TOTP secret is additionally
-- sealed (XChaCha20-Poly1305 under a subkey of the data key) by the service
-- before it reaches this table; sessions keep only the SHA-256 of their
-- bearer token. Version 3 is another branch's (linkage); the runner applies
-- every migration whose version is above the database's user_version.

CREATE TABLE users (
    name          TEXT    PRIMARY KEY,
    role          TEXT    NOT NULL,             -- tumen_protect::Role, snake_case
    groups        TEXT    NOT NULL,             -- JSON array of case access groups
    password_hash TEXT    NOT NULL,             -- Argon2id PHC string
    totp          TEXT,                         -- JSON TotpEnrolment (secret sealed), NULL if none
    failures      TEXT    NOT NULL,             -- JSON array of Unix seconds of recent failures
    locked_until  INTEGER,                      -- Unix seconds, NULL when not locked
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,             -- RFC 3339 UTC
    updated_at    TEXT    NOT NULL
) WITHOUT ROWID;

CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,             -- hex SHA-256 of the bearer token
    user       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    idle_secs  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user);
