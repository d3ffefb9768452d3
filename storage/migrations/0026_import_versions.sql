-- Issue 17: imports that cannot wipe the registry by mistake.
-- Every registry import keeps who applied it, whether it replaced the whole snapshot or only
-- added and changed rows, and the registry it replaced (as JSON rows of agencies), so
-- `hotline registry rollback` and the console restore the previous version in one step.
ALTER TABLE registry_imports
    ADD COLUMN imported_by    text NOT NULL DEFAULT '',
    ADD COLUMN mode           text NOT NULL DEFAULT 'replace' CHECK (mode IN ('replace', 'update')),
    ADD COLUMN previous       jsonb,
    ADD COLUMN rolled_back_at timestamptz,
    ADD COLUMN rolled_back_by text;

-- What an uploaded file is: a full snapshot (replace) or an update of some rows (add and change).
ALTER TABLE uploads
    ADD COLUMN mode text NOT NULL DEFAULT 'replace' CHECK (mode IN ('replace', 'update'));
