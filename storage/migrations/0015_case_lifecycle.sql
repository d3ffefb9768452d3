-- Tips become cases several agencies work together (issue 14). The statuses are those of
-- ussd_menus/cases.py; today's four map onto them:
--   diterima   (filed, nobody alerted yet)       -> baru
--   diteruskan (alerted to officials)            -> diteruskan
--   diproses   (an official answered OK)         -> diterima
--   ditutup    (an official closed it, SELESAI)  -> selesai_ditindak
-- Every move is a row in case_events: who (an official or a console account, or the system),
-- when, from which channel, to whom it was handed, and an internal note residents never see.
-- Officials carry an agency code (KEC, DESA, DISNAKER, BP3MI, POLRES, ... or one the operator
-- adds) for TERUSKAN; an alert handed over to another holder no longer gives rights on the case
-- nor escalates (handed_over_at).

ALTER TABLE tips DROP CONSTRAINT tips_status_check;
UPDATE tips SET status = CASE status
    WHEN 'diterima' THEN 'baru'
    WHEN 'diproses' THEN 'diterima'
    WHEN 'ditutup' THEN 'selesai_ditindak'
    ELSE status END;
ALTER TABLE tips
    ALTER COLUMN status SET DEFAULT 'baru',
    ADD CONSTRAINT tips_status_check CHECK (status IN ('baru', 'diterima', 'diteruskan',
        'diselidiki', 'menunggu_pelapor', 'selesai_ditindak', 'tidak_terbukti', 'bukan_wewenang')),
    -- Who holds the case now, as residents may learn it: an agency code or a tier, never a name.
    ADD COLUMN holder text NOT NULL DEFAULT '' CHECK (length(holder) <= 40);

CREATE TABLE case_events (
    id           bigserial PRIMARY KEY,
    tip_id       bigint NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    from_status  text NOT NULL,
    to_status    text NOT NULL,
    reopened     boolean NOT NULL DEFAULT false,
    channel      text NOT NULL CHECK (channel IN ('sms', 'console', 'system')),
    official_id  bigint REFERENCES officials (id),
    account      text CHECK (length(account) <= 120),
    holder       text NOT NULL DEFAULT '' CHECK (length(holder) <= 40),
    note         text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT case_events_one_actor CHECK (official_id IS NULL OR account IS NULL)
);
CREATE INDEX case_events_tip ON case_events (tip_id, id);

-- The moves already made before this migration, as far as they are known.
INSERT INTO case_events (tip_id, from_status, to_status, channel, note, at)
    SELECT id, 'baru', status, 'system', 'migrasi status lama (0015)', updated_at
    FROM tips WHERE status <> 'baru';

ALTER TABLE officials
    ADD COLUMN agency text NOT NULL DEFAULT '' CHECK (agency ~ '^([A-Z][A-Z0-9_]{1,15})?$');
CREATE INDEX officials_agency ON officials (agency, tier) WHERE active;

ALTER TABLE alerts DROP CONSTRAINT alerts_reason_check;
ALTER TABLE alerts
    ADD CONSTRAINT alerts_reason_check
        CHECK (reason IN ('new', 'escalated', 'resend', 'handover', 'refused')),
    ADD COLUMN handed_over_at timestamptz;
