-- An official's own report (issue 15 item 3, "laporan aparat"): a case like a tip, attributed to
-- the official who filed it from the officials' USSD menu or by SMS LAPORPETUGAS. The attribution
-- is the official's id, never their number (tips hold no reporter number in clear). Routed like a
-- tip involving a village official (kecamatan and Disnakertrans, no desa tier), never back to the
-- reporting official (storage/alerts.py). Nullable: residents' tips stay anonymous.
ALTER TABLE tips ADD COLUMN reported_by_official_id bigint REFERENCES officials (id);
CREATE INDEX tips_reported_by_official ON tips (reported_by_official_id)
    WHERE reported_by_official_id IS NOT NULL;
