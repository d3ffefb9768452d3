-- REKAP, the weekly digest officials get by SMS (issue 14 item 9). One row per official per
-- digest week: the unique key makes the weekly send happen once per official even with several
-- gateway processes (INSERT ... ON CONFLICT DO NOTHING decides who queues it). An official's
-- REKAP asked by SMS is throttled by the last time one was answered (one row per official,
-- updated only when the window has passed, so two at once cannot both pass).

CREATE TABLE rekap_sends (
    official_id bigint NOT NULL REFERENCES officials (id),
    week_of     date NOT NULL,  -- the WIB day the digest was due
    outbox_id   bigint REFERENCES outbox (id) ON DELETE SET NULL,
    queued_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (official_id, week_of)
);

CREATE TABLE rekap_requests (
    official_id bigint PRIMARY KEY REFERENCES officials (id),
    answered_at timestamptz NOT NULL
);

-- The digest reads an area's tips filed in a week, its open cases, the cases closed lately and the
-- names residents checked in a week, each through its own index (storage/rekap.py); an area's
-- week of tips through 0019's tips_kecamatan_created (kecamatan_code, created_at, id).
CREATE INDEX tips_open ON tips (kecamatan_code)
    WHERE status NOT IN ('selesai_ditindak', 'tidak_terbukti', 'bukan_wewenang');
CREATE INDEX tips_closed_updated ON tips (updated_at)
    WHERE status IN ('selesai_ditindak', 'tidak_terbukti', 'bukan_wewenang');
CREATE INDEX agency_checks_not_found_at ON agency_checks (checked_at) WHERE NOT found;
