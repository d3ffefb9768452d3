-- Delivery reports in the hotline's own status taxonomy (gateway/core/messages.py DeliveryStatus),
-- whatever the provider: queued, sent, delivered, failed_temporary, failed_permanent, expired,
-- rejected, unknown. The provider's own words are kept beside them (raw_status / raw) for the
-- delivery log. A repeated report is the same provider id with the same raw words.
--
-- Until now only Africa's Talking existed and its words were stored as they came; they are
-- converted here once (compared in lower case, as AT's documentation spells them in CamelCase).
-- Anything else becomes 'unknown' with its words kept.
CREATE TEMPORARY TABLE at_status_words (word text PRIMARY KEY, status text NOT NULL) ON COMMIT DROP;
INSERT INTO at_status_words VALUES
    ('sent', 'sent'), ('submitted', 'sent'), ('buffered', 'sent'),
    ('success', 'delivered'),
    ('rejected', 'rejected'),
    ('failed', 'failed_permanent'),
    ('absentsubscriber', 'failed_temporary'),
    ('expired', 'expired');

ALTER TABLE delivery_reports ADD COLUMN raw_status text NOT NULL DEFAULT '';
UPDATE delivery_reports d SET raw_status = d.status,
    status = coalesce((SELECT w.status FROM at_status_words w WHERE w.word = lower(d.status)), 'unknown');
ALTER TABLE delivery_reports
    DROP CONSTRAINT delivery_reports_pkey,
    ADD PRIMARY KEY (provider_id, raw_status),
    ADD CONSTRAINT delivery_reports_status CHECK (status IN ('queued', 'sent', 'delivered',
        'failed_temporary', 'failed_permanent', 'expired', 'rejected', 'unknown'));

-- A report's timeline event: detail 'failed_permanent (Failed) UserDoesNotExist', raw 'Failed'.
ALTER TABLE sms_events ADD COLUMN raw text NOT NULL DEFAULT '';
UPDATE sms_events e SET raw = split_part(e.detail, ' ', 1),
    detail = concat_ws(' ',
        coalesce((SELECT w.status FROM at_status_words w
                  WHERE w.word = lower(split_part(e.detail, ' ', 1))), 'unknown'),
        '(' || split_part(e.detail, ' ', 1) || ')',
        nullif(substr(e.detail, length(split_part(e.detail, ' ', 1)) + 2), ''))
    WHERE e.kind = 'report' AND e.detail <> '';

-- A message failed by a report keeps that report's detail as its last error.
UPDATE outbox o SET last_error = concat_ws(' ', w.status,
        '(' || split_part(o.last_error, ' ', 1) || ')',
        nullif(substr(o.last_error, length(split_part(o.last_error, ' ', 1)) + 2), ''))
    FROM at_status_words w
    WHERE o.status = 'failed' AND w.word = lower(split_part(o.last_error, ' ', 1))
      AND w.status IN ('failed_temporary', 'failed_permanent', 'expired', 'rejected');
