-- Every form version devices sent with their interviews (each process serving the hub keeps
-- a local copy in form-versions/ and fetches what another process received), and referral
-- notices, the newest per interview.
CREATE TABLE form_versions (
    form_id text NOT NULL,
    hash    bigint NOT NULL,
    source  text NOT NULL,
    PRIMARY KEY (form_id, hash)
);

CREATE TABLE referrals (
    interview uuid PRIMARY KEY,
    at        timestamptz NOT NULL,
    referral  bytea NOT NULL
);
