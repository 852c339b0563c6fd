-- How the executor calls a package (for Wasm: handler, wasi-http, wasi-command, wasip1-command), found
-- when the package was prepared at upload and shown to users as code.abi.
ALTER TABLE functions ADD COLUMN code_abi TEXT NOT NULL DEFAULT 'handler';
ALTER TABLE function_versions ADD COLUMN code_abi TEXT NOT NULL DEFAULT 'handler';
