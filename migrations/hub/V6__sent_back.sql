-- Which interviews wait on their device (sent back, `rejected`, not yet edited), so that a
-- device's sync asks for its own few and not for every review it ever had.
ALTER TABLE reviews ADD COLUMN sent_back boolean NOT NULL DEFAULT false;
UPDATE reviews SET sent_back = true
 WHERE convert_from(review, 'UTF8')::jsonb -> 'history' -> -1 ->> 'state' = 'rejected';
CREATE INDEX reviews_sent_back ON reviews (device) WHERE sent_back;
