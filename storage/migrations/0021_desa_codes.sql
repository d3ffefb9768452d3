-- Desa codes (Kemendagri 36.04.NN.NNNN, the list shipped in storage/data/serang-desa.csv and
-- checked against it in code). A tip's desa_code lies in its kecamatan; the free-text desa stays
-- for older tips and for display (and is purged with the other free text; the code, like the
-- kecamatan, is an area and stays for the counts). An official's desa_codes narrow a desa-tier
-- official to the tips of those desa (empty: the whole of their kecamatan, as before).

ALTER TABLE tips ADD COLUMN desa_code text
    CHECK (desa_code ~ '^36\.04\.[0-9]{2}\.[0-9]{4}$' AND left(desa_code, 8) = kecamatan_code);
CREATE INDEX tips_desa_code ON tips (desa_code, created_at) WHERE desa_code IS NOT NULL;

ALTER TABLE officials ADD COLUMN desa_codes text[] NOT NULL DEFAULT '{}'
    CHECK (array_position(desa_codes, NULL) IS NULL);
