-- Qinling's schema: every resource of the v1 API (DESIGN.md §2), scoped by project_id.
-- Ids are UUID text; times are UTC RFC 3339 text (ordered as text); booleans are 0/1.

CREATE TABLE runtimes (
    id            TEXT PRIMARY KEY NOT NULL,
    project_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    kind          TEXT NOT NULL CHECK (kind IN ('wasm', 'container')),
    image         TEXT NOT NULL,
    status        TEXT NOT NULL,
    status_reason TEXT,
    is_public     INTEGER NOT NULL DEFAULT 1,
    trusted       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX runtimes_project ON runtimes (project_id, created_at, id);

-- code_source: 'package' (uploaded; package_digest names the blob), 'object' (code_object in the object
-- store, or code_container/code_object for Qinling's swift source) or 'image' (code_image, no runtime).
CREATE TABLE functions (
    id             TEXT PRIMARY KEY NOT NULL,
    project_id     TEXT NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    runtime_id     TEXT REFERENCES runtimes (id),
    code_source    TEXT NOT NULL CHECK (code_source IN ('package', 'object', 'image')),
    code_md5sum    TEXT,
    code_container TEXT,
    code_object    TEXT,
    code_image     TEXT,
    entry          TEXT,
    timeout_secs   INTEGER NOT NULL,
    memory_size    INTEGER NOT NULL,
    cpu            INTEGER NOT NULL,
    count          INTEGER NOT NULL DEFAULT 0,
    latest_version INTEGER NOT NULL DEFAULT 0,
    package_digest TEXT,
    package_size   INTEGER,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX functions_project ON functions (project_id, created_at, id);
CREATE INDEX functions_runtime ON functions (runtime_id);
CREATE INDEX functions_package ON functions (package_digest);

-- An immutable snapshot of a function's code and settings, numbered from 1 per function.
CREATE TABLE function_versions (
    id             TEXT PRIMARY KEY NOT NULL,
    project_id     TEXT NOT NULL,
    function_id    TEXT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    version_number INTEGER NOT NULL CHECK (version_number >= 1),
    description    TEXT NOT NULL DEFAULT '',
    runtime_id     TEXT REFERENCES runtimes (id),
    code_source    TEXT NOT NULL,
    code_md5sum    TEXT,
    code_container TEXT,
    code_object    TEXT,
    code_image     TEXT,
    entry          TEXT,
    timeout_secs   INTEGER NOT NULL,
    memory_size    INTEGER NOT NULL,
    cpu            INTEGER NOT NULL,
    package_digest TEXT,
    package_size   INTEGER,
    count          INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (function_id, version_number)
);
CREATE INDEX function_versions_package ON function_versions (package_digest);

-- A name for (function, version); version 0 means "latest".
CREATE TABLE function_aliases (
    id               TEXT PRIMARY KEY NOT NULL,
    project_id       TEXT NOT NULL,
    name             TEXT NOT NULL,
    function_id      TEXT NOT NULL REFERENCES functions (id),
    function_version INTEGER NOT NULL DEFAULT 0,
    description      TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (project_id, name)
);

-- Executions outlive their function's deletion (no foreign key), as in Qinling.
-- claimed_by/claimed_at: which server process runs an async execution, so that no two run it.
CREATE TABLE executions (
    id               TEXT PRIMARY KEY NOT NULL,
    project_id       TEXT NOT NULL,
    function_id      TEXT NOT NULL,
    function_version INTEGER NOT NULL DEFAULT 0,
    function_alias   TEXT,
    description      TEXT NOT NULL DEFAULT '',
    input            TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('running', 'success', 'failed', 'error')),
    sync             INTEGER NOT NULL,
    result_output    TEXT,
    result_duration  REAL,
    logs             TEXT NOT NULL DEFAULT '',
    claimed_by       TEXT,
    claimed_at       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX executions_project ON executions (project_id, created_at, id);
CREATE INDEX executions_function ON executions (function_id, created_at, id);
CREATE INDEX executions_status ON executions (status, created_at);

-- Periodic executions: a 5-field cron pattern and/or a first time; count runs left (NULL: unbounded).
CREATE TABLE jobs (
    id                   TEXT PRIMARY KEY NOT NULL,
    project_id           TEXT NOT NULL,
    name                 TEXT NOT NULL DEFAULT '',
    function_id          TEXT REFERENCES functions (id),
    function_version     INTEGER NOT NULL DEFAULT 0,
    function_alias       TEXT,
    function_input       TEXT,
    pattern              TEXT,
    status               TEXT NOT NULL CHECK (status IN ('running', 'paused', 'cancelled', 'done')),
    first_execution_time TEXT,
    next_execution_time  TEXT NOT NULL,
    count                INTEGER,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, next_execution_time);

CREATE TABLE webhooks (
    id               TEXT PRIMARY KEY NOT NULL,
    project_id       TEXT NOT NULL,
    function_id      TEXT REFERENCES functions (id),
    function_version INTEGER,
    function_alias   TEXT,
    description      TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
