-- Artifacts: files a program left under /workspace/output, one row per file the agent sent.
-- The bytes live in the object store under executions/<id>/artifacts/<row id>; the row says
-- whether they are there: `stored`, `missing` (the store failed the write), `over_quota` (the
-- owner's storage quota had no room: never written), `expired` (removed by the retention sweep).
-- A stored artifact's bytes count in user_quotas.storage_used_bytes until it expires.
CREATE TABLE execution_artifacts (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    execution_id UUID NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 4096),
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    content_type VARCHAR(100) NOT NULL,
    sha256 CHAR(64) NOT NULL,
    object_key TEXT,
    state VARCHAR(20) NOT NULL CHECK (state IN ('stored', 'missing', 'over_quota', 'expired')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (execution_id, name)
);

CREATE INDEX idx_execution_artifacts_stored ON execution_artifacts (created_at) WHERE state = 'stored';

-- What the launcher left out of /workspace/output ({"entries": [{name, reason}], "count": n}),
-- and, for output past CP_STORAGE_OUTPUT_INLINE_BYTES, the object that holds a stream (the
-- bytea column is then empty) and its size.
ALTER TABLE executions
    ADD COLUMN artifacts_skipped JSONB,
    ADD COLUMN stdout_object_key TEXT,
    ADD COLUMN stdout_size BIGINT,
    ADD COLUMN stderr_object_key TEXT,
    ADD COLUMN stderr_size BIGINT;
