-- The async queue: executions accepted (status 'running') that no server process has claimed yet,
-- oldest first. A partial index keeps claiming and counting the queue cheap however many executions
-- the table holds.
CREATE INDEX executions_queue ON executions (created_at) WHERE status = 'running' AND claimed_by IS NULL;
CREATE INDEX executions_claimed ON executions (claimed_at) WHERE status = 'running' AND claimed_by IS NOT NULL;
