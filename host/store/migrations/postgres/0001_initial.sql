-- Qinling's schema on PostgreSQL: the same tables, columns and meanings as migrations/sqlite (all of its
-- steps in one), so that every query of the store runs unchanged on both. Integers are BIGINT, booleans
-- 0/1, times UTC RFC 3339 text. Text compares bytewise (COLLATE "C"), as in SQLite, so times and ids
-- order the same whatever the database's locale.

-- Qinling's schema: every resource of the v1 API (DESIGN.md §2), scoped by project_id.
-- Ids are UUID text; times are UTC RFC 3339 text (ordered as text); booleans are 0/1.

CREATE TABLE runtimes (
    id            TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    project_id    TEXT COLLATE "C" NOT NULL,
    name          TEXT COLLATE "C" NOT NULL,
    description   TEXT COLLATE "C" NOT NULL DEFAULT '',
    kind          TEXT COLLATE "C" NOT NULL CHECK (kind IN ('wasm', 'container')),
    image         TEXT COLLATE "C" NOT NULL,
    status        TEXT COLLATE "C" NOT NULL,
    status_reason TEXT COLLATE "C",
    is_public     BIGINT NOT NULL DEFAULT 1,
    trusted       BIGINT NOT NULL DEFAULT 1,
    created_at    TEXT COLLATE "C" NOT NULL,
    updated_at    TEXT COLLATE "C" NOT NULL
);
CREATE INDEX runtimes_project ON runtimes (project_id, created_at, id);

-- code_source: 'package' (uploaded; package_digest names the blob), 'object' (code_object in the object
-- store, or code_container/code_object for Qinling's swift source) or 'image' (code_image, no runtime).
CREATE TABLE functions (
    id             TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    project_id     TEXT COLLATE "C" NOT NULL,
    name           TEXT COLLATE "C" NOT NULL,
    description    TEXT COLLATE "C" NOT NULL DEFAULT '',
    runtime_id     TEXT COLLATE "C" REFERENCES runtimes (id),
    code_source    TEXT COLLATE "C" NOT NULL CHECK (code_source IN ('package', 'object', 'image')),
    code_md5sum    TEXT COLLATE "C",
    code_container TEXT COLLATE "C",
    code_object    TEXT COLLATE "C",
    code_image     TEXT COLLATE "C",
    entry          TEXT COLLATE "C",
    timeout_secs   BIGINT NOT NULL,
    memory_size    BIGINT NOT NULL,
    cpu            BIGINT NOT NULL,
    count          BIGINT NOT NULL DEFAULT 0,
    latest_version BIGINT NOT NULL DEFAULT 0,
    package_digest TEXT COLLATE "C",
    package_size   BIGINT,
    created_at     TEXT COLLATE "C" NOT NULL,
    updated_at     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX functions_project ON functions (project_id, created_at, id);
CREATE INDEX functions_runtime ON functions (runtime_id);
CREATE INDEX functions_package ON functions (package_digest);

-- An immutable snapshot of a function's code and settings, numbered from 1 per function.
CREATE TABLE function_versions (
    id             TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    project_id     TEXT COLLATE "C" NOT NULL,
    function_id    TEXT COLLATE "C" NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    version_number BIGINT NOT NULL CHECK (version_number >= 1),
    description    TEXT COLLATE "C" NOT NULL DEFAULT '',
    runtime_id     TEXT COLLATE "C" REFERENCES runtimes (id),
    code_source    TEXT COLLATE "C" NOT NULL,
    code_md5sum    TEXT COLLATE "C",
    code_container TEXT COLLATE "C",
    code_object    TEXT COLLATE "C",
    code_image     TEXT COLLATE "C",
    entry          TEXT COLLATE "C",
    timeout_secs   BIGINT NOT NULL,
    memory_size    BIGINT NOT NULL,
    cpu            BIGINT NOT NULL,
    package_digest TEXT COLLATE "C",
    package_size   BIGINT,
    count          BIGINT NOT NULL DEFAULT 0,
    created_at     TEXT COLLATE "C" NOT NULL,
    updated_at     TEXT COLLATE "C" NOT NULL,
    UNIQUE (function_id, version_number)
);
CREATE INDEX function_versions_package ON function_versions (package_digest);

-- A name for (function, version); version 0 means "latest".
CREATE TABLE function_aliases (
    id               TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    project_id       TEXT COLLATE "C" NOT NULL,
    name             TEXT COLLATE "C" NOT NULL,
    function_id      TEXT COLLATE "C" NOT NULL REFERENCES functions (id),
    function_version BIGINT NOT NULL DEFAULT 0,
    description      TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at       TEXT COLLATE "C" NOT NULL,
    updated_at       TEXT COLLATE "C" NOT NULL,
    UNIQUE (project_id, name)
);

-- Executions outlive their function's deletion (no foreign key), as in Qinling.
-- claimed_by/claimed_at: which server process runs an async execution, so that no two run it.
CREATE TABLE executions (
    id               TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    project_id       TEXT COLLATE "C" NOT NULL,
    function_id      TEXT COLLATE "C" NOT NULL,
    function_version BIGINT NOT NULL DEFAULT 0,
    function_alias   TEXT COLLATE "C",
    description      TEXT COLLATE "C" NOT NULL DEFAULT '',
    input            TEXT COLLATE "C" NOT NULL,
    status           TEXT COLLATE "C" NOT NULL CHECK (status IN ('running', 'success', 'failed', 'error')),
    sync             BIGINT NOT NULL,
    result_output    TEXT COLLATE "C",
    result_duration  DOUBLE PRECISION,
    logs             TEXT COLLATE "C" NOT NULL DEFAULT '',
    claimed_by       TEXT COLLATE "C",
    claimed_at       TEXT COLLATE "C",
    created_at       TEXT COLLATE "C" NOT NULL,
    updated_at       TEXT COLLATE "C" NOT NULL
);
CREATE INDEX executions_project ON executions (project_id, created_at, id);
CREATE INDEX executions_function ON executions (function_id, created_at, id);
CREATE INDEX executions_status ON executions (status, created_at);

-- Periodic executions: a 5-field cron pattern and/or a first time; count runs left (NULL: unbounded).
CREATE TABLE jobs (
    id                   TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    project_id           TEXT COLLATE "C" NOT NULL,
    name                 TEXT COLLATE "C" NOT NULL DEFAULT '',
    function_id          TEXT COLLATE "C" REFERENCES functions (id),
    function_version     BIGINT NOT NULL DEFAULT 0,
    function_alias       TEXT COLLATE "C",
    function_input       TEXT COLLATE "C",
    pattern              TEXT COLLATE "C",
    status               TEXT COLLATE "C" NOT NULL CHECK (status IN ('running', 'paused', 'cancelled', 'done')),
    first_execution_time TEXT COLLATE "C",
    next_execution_time  TEXT COLLATE "C" NOT NULL,
    count                BIGINT,
    created_at           TEXT COLLATE "C" NOT NULL,
    updated_at           TEXT COLLATE "C" NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, next_execution_time);

CREATE TABLE webhooks (
    id               TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    project_id       TEXT COLLATE "C" NOT NULL,
    function_id      TEXT COLLATE "C" REFERENCES functions (id),
    function_version BIGINT,
    function_alias   TEXT COLLATE "C",
    description      TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at       TEXT COLLATE "C" NOT NULL,
    updated_at       TEXT COLLATE "C" NOT NULL
);

-- The async queue: executions accepted (status 'running') that no server process has claimed yet,
-- oldest first. A partial index keeps claiming and counting the queue cheap however many executions
-- the table holds.
CREATE INDEX executions_queue ON executions (created_at) WHERE status = 'running' AND claimed_by IS NULL;
CREATE INDEX executions_claimed ON executions (claimed_at) WHERE status = 'running' AND claimed_by IS NOT NULL;

-- How the executor calls a package (for Wasm: handler, wasi-http, wasi-command, wasip1-command), found
-- when the package was prepared at upload and shown to users as code.abi.
ALTER TABLE functions ADD COLUMN code_abi TEXT COLLATE "C" NOT NULL DEFAULT 'handler';
ALTER TABLE function_versions ADD COLUMN code_abi TEXT COLLATE "C" NOT NULL DEFAULT 'handler';

-- The origins a function may reach over HTTP (one canonical origin per line; empty: none).
ALTER TABLE functions ADD COLUMN allowed_hosts TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE function_versions ADD COLUMN allowed_hosts TEXT COLLATE "C" NOT NULL DEFAULT '';
