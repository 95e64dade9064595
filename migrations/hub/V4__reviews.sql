-- Supervisor review on PostgreSQL: each interview's review record (JSON: states with their
-- history, quality flags; never an answer), and per form the recent durations and answer
-- counts the quality flags compare with, updated under a row lock by whichever process
-- ingests.
CREATE TABLE reviews (
    id       uuid PRIMARY KEY,
    device   uuid NOT NULL,
    finished timestamptz NOT NULL,
    review   bytea NOT NULL
);
CREATE INDEX reviews_by_device ON reviews (device);

CREATE TABLE quality (
    form_id   text PRIMARY KEY,
    durations bytea NOT NULL,
    counts    bytea NOT NULL
);
