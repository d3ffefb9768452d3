-- Lists that scale (keyset pagination, full-text search, filters at 100,000 tips).
--
-- Full-text search over what a tip says (description, agency name, desa) with PostgreSQL's
-- built-in 'indonesian' configuration (snowball stemmer: "membayar" finds "bayar"; no contrib
-- extension). A stored generated column, so a purged tip (description NULL) loses its words
-- with its text, and a GIN index over it.
ALTER TABLE tips
    ADD COLUMN search_text tsvector GENERATED ALWAYS AS (
        to_tsvector('indonesian'::regconfig,
            coalesce(description, '') || ' ' || coalesce(agency_name, '') || ' '
            || coalesce(desa, ''))
    ) STORED;
CREATE INDEX tips_search_text ON tips USING gin (search_text);

-- Keyset pages: every list is ordered by (moment, id), unfiltered or by one equality filter.
-- (created_at, id) serves everything the old index on created_at alone did.
DROP INDEX tips_created_at;
CREATE INDEX tips_created_id ON tips (created_at, id);
CREATE INDEX tips_status_created ON tips (status, created_at, id);
CREATE INDEX tips_category_created ON tips (category, created_at, id);
CREATE INDEX tips_kecamatan_created ON tips (kecamatan_code, created_at, id);
CREATE INDEX tips_holder_created ON tips (holder, created_at, id);

-- The delivery log: newest first by creation (console), least recently changed first (API).
CREATE INDEX outbox_created_id ON outbox (created_at, id);
CREATE INDEX outbox_updated_id ON outbox (updated_at, id);
CREATE INDEX outbox_status_created ON outbox (status, created_at, id);
CREATE INDEX outbox_tip ON outbox (tip_id) WHERE tip_id IS NOT NULL;
