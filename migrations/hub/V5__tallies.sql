-- Indicator tallies kept at ingest (counts and weighted sums per indicator × cell × PSU;
-- never an answer), so a report costs the cells, not the interviews. `changes` counts the
-- items ever accepted, added to in each ingest's transaction: tallies that have seen fewer
-- missed an ingest (a process stopped between its commit and its tally update) and are
-- counted again.
CREATE TABLE counters (
    name  text PRIMARY KEY,
    value bigint NOT NULL
);
INSERT INTO counters VALUES ('changes', 0);

CREATE TABLE tallies (
    form_id text PRIMARY KEY,
    state   bytea NOT NULL
);
