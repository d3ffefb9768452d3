-- The language a resident chose by SMS (BAHASA SUNDA, LANGUAGE ENGLISH, ...), for every later
-- reply to them. The sender is their keyed hash (HMAC, like opt_outs and sms_inbound.sender_key),
-- never a number; the code is one of the catalogues' (ussd_menus/catalogues/languages.toml).
CREATE TABLE sms_languages (
    sender_key bytea PRIMARY KEY,
    lang       text NOT NULL CHECK (lang ~ '^[a-z]{2,3}$'),
    chosen_at  timestamptz NOT NULL DEFAULT now()
);
