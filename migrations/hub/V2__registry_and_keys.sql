-- Devices, one-time enrolment tokens and the per-item keys of a hub on PostgreSQL, so that
-- several `hub serve` processes share them (src/hub/pg/).
CREATE TABLE devices (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    public_key  text NOT NULL,
    token_hash  text NOT NULL,
    revoked     boolean NOT NULL,
    enrolled    timestamptz NOT NULL,
    return_key  text
);
CREATE INDEX devices_by_token ON devices (token_hash);

-- SHA-256 of each unused token, and the name of the device it is for.
CREATE TABLE enroll_tokens (
    token_hash  text PRIMARY KEY,
    device_name text NOT NULL
);

-- Each stored item's key, masked with a value derived from the hub's data key (so the
-- database alone opens nothing); deleting the row is the item's erasure.
CREATE TABLE item_keys (
    slot   uuid PRIMARY KEY,
    masked bytea NOT NULL
);
