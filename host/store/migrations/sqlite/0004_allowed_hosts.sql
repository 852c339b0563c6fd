-- The origins a function may reach over HTTP (one canonical origin per line; empty: none).
ALTER TABLE functions ADD COLUMN allowed_hosts TEXT NOT NULL DEFAULT '';
ALTER TABLE function_versions ADD COLUMN allowed_hosts TEXT NOT NULL DEFAULT '';
