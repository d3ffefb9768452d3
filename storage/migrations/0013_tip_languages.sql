-- Residents' languages are the catalogues' (ussd_menus/catalogues/languages.toml), no longer a
-- fixed pair: a tip keeps the code of the language it was filed in, for the replies it gets.
ALTER TABLE tips DROP CONSTRAINT tips_lang_check;
ALTER TABLE tips ADD CONSTRAINT tips_lang_code CHECK (lang ~ '^[a-z]{2,3}$');
