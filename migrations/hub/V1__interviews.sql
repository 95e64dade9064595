-- The hub's interviews and tombstones on PostgreSQL (src/hub/pg.rs): each id exactly once,
-- still sealed (encrypted at rest), with the hash of its plain content to tell a duplicate
-- from a conflict. A bundle is stored in one transaction.
CREATE TABLE interviews (
    id        uuid PRIMARY KEY,
    device    uuid NOT NULL,
    hash      bytea NOT NULL,
    sealed    bytea NOT NULL,
    received  timestamptz NOT NULL,
    tombstone boolean NOT NULL
);

-- Same id, other content: kept aside, the stored one stays.
CREATE TABLE conflicts (
    id        uuid NOT NULL,
    hash      bytea NOT NULL,
    device    uuid NOT NULL,
    sealed    bytea NOT NULL,
    received  timestamptz NOT NULL,
    tombstone boolean NOT NULL,
    PRIMARY KEY (id, hash)
);

-- Earlier versions of interviews sent back and edited, oldest first by when received.
CREATE TABLE versions (
    id        uuid NOT NULL,
    hash      bytea NOT NULL,
    device    uuid NOT NULL,
    sealed    bytea NOT NULL,
    received  timestamptz NOT NULL,
    tombstone boolean NOT NULL,
    PRIMARY KEY (id, received)
);
