-- The schema of the product spec, corrected where the spec contradicts itself or a safe system:
--   * executions.status covers every status the API returns (each final status is a verdict);
--   * languages are not a hard-coded CHECK list (the language manifest defines them);
--   * program output is bytea (programs may print NUL and non-UTF-8 bytes);
--   * refresh tokens are stored only as a hash, grouped in families for reuse detection;
--   * emails and usernames are unique case-insensitively.

CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(255) NOT NULL,
    username VARCHAR(50) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    full_name VARCHAR(100),
    avatar_url TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    role VARCHAR(20) NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin', 'moderator')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_login_at TIMESTAMPTZ,
    CONSTRAINT valid_email CHECK (email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$')
);

CREATE UNIQUE INDEX idx_users_email ON users (lower(email));
CREATE UNIQUE INDEX idx_users_username ON users (lower(username));
CREATE INDEX idx_users_created_at ON users (created_at DESC);

CREATE TABLE refresh_tokens (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the token; the token itself is never stored.
    token_hash BYTEA NOT NULL UNIQUE,
    -- Every rotation of one login shares a family; reusing a rotated token revokes the family.
    family_id UUID NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    revoked BOOLEAN NOT NULL DEFAULT FALSE,
    replaced_by UUID REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    ip_address INET,
    user_agent TEXT
);

CREATE INDEX idx_refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX idx_refresh_tokens_family_id ON refresh_tokens (family_id);

CREATE TABLE projects (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name VARCHAR(200) NOT NULL,
    description TEXT,
    language VARCHAR(50) NOT NULL CHECK (language ~ '^[a-z][a-z0-9_-]*$'),
    visibility VARCHAR(20) NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public', 'unlisted')),
    is_template BOOLEAN NOT NULL DEFAULT FALSE,
    fork_from UUID REFERENCES projects (id) ON DELETE SET NULL,
    star_count INTEGER NOT NULL DEFAULT 0 CHECK (star_count >= 0),
    view_count INTEGER NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    deleted_at TIMESTAMPTZ
);

CREATE INDEX idx_projects_user_id ON projects (user_id);
CREATE INDEX idx_projects_language ON projects (language);
CREATE INDEX idx_projects_visibility ON projects (visibility);
CREATE INDEX idx_projects_created_at ON projects (created_at DESC);
CREATE INDEX idx_projects_updated_at ON projects (updated_at DESC);

CREATE TABLE files (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name VARCHAR(255) NOT NULL,
    path VARCHAR(500) NOT NULL DEFAULT '/',
    content TEXT,
    size_bytes BIGINT NOT NULL DEFAULT 0,
    language VARCHAR(50),
    is_main BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT unique_file_path UNIQUE (project_id, path, name)
);

CREATE INDEX idx_files_project_id ON files (project_id);
CREATE INDEX idx_files_is_main ON files (is_main);

CREATE TABLE executions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id UUID REFERENCES projects (id) ON DELETE SET NULL,
    language VARCHAR(50) NOT NULL,
    region VARCHAR(50) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'queued' CHECK (status IN (
        'queued', 'running',
        'completed', 'runtime_error', 'timeout', 'cpu_limit', 'memory_limit', 'output_limit',
        'compile_error', 'cancelled', 'internal_error')),
    -- The submitted files, kept so a job lost from Redis can be re-queued.
    source JSONB NOT NULL,
    main_file VARCHAR(500) NOT NULL,
    limits JSONB NOT NULL,
    stdin BYTEA,
    stdout BYTEA,
    stderr BYTEA,
    stdout_truncated BOOLEAN NOT NULL DEFAULT FALSE,
    stderr_truncated BOOLEAN NOT NULL DEFAULT FALSE,
    exit_code INTEGER,
    signal INTEGER,
    execution_time_ms INTEGER,
    cpu_time_ms INTEGER,
    memory_used_kb INTEGER,
    timed_out BOOLEAN NOT NULL DEFAULT FALSE,
    compilation_error TEXT,
    compile_output BYTEA,
    message TEXT,
    -- The delivery attempt whose result is recorded; results of older attempts are fenced off.
    attempt INTEGER NOT NULL DEFAULT 0,
    runner_id VARCHAR(100),
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ
);

CREATE INDEX idx_executions_user_id ON executions (user_id, created_at DESC);
CREATE INDEX idx_executions_project_id ON executions (project_id);
CREATE INDEX idx_executions_status ON executions (status) WHERE status IN ('queued', 'running');
CREATE INDEX idx_executions_created_at ON executions (created_at DESC);

CREATE TABLE user_quotas (
    user_id UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    executions_today INTEGER NOT NULL DEFAULT 0,
    executions_month INTEGER NOT NULL DEFAULT 0,
    storage_used_mb DECIMAL(10, 2) NOT NULL DEFAULT 0,
    max_executions_daily INTEGER NOT NULL DEFAULT 100,
    max_executions_monthly INTEGER NOT NULL DEFAULT 1000,
    max_storage_mb INTEGER NOT NULL DEFAULT 100,
    last_reset_daily DATE NOT NULL DEFAULT CURRENT_DATE,
    last_reset_monthly DATE NOT NULL DEFAULT CURRENT_DATE,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE project_stars (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT unique_user_project_star UNIQUE (user_id, project_id)
);

CREATE INDEX idx_project_stars_project_id ON project_stars (project_id);

CREATE TABLE comments (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_id UUID REFERENCES comments (id) ON DELETE CASCADE,
    content TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    deleted_at TIMESTAMPTZ
);

CREATE INDEX idx_comments_project_id ON comments (project_id);
CREATE INDEX idx_comments_user_id ON comments (user_id);
CREATE INDEX idx_comments_parent_id ON comments (parent_id);

CREATE TABLE audit_logs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    action VARCHAR(50) NOT NULL,
    resource_type VARCHAR(50),
    resource_id UUID,
    ip_address INET,
    user_agent TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_audit_logs_user_id ON audit_logs (user_id);
CREATE INDEX idx_audit_logs_action ON audit_logs (action);
CREATE INDEX idx_audit_logs_created_at ON audit_logs (created_at DESC);

CREATE OR REPLACE FUNCTION update_updated_at()
RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER update_users_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE TRIGGER update_projects_updated_at BEFORE UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE TRIGGER update_files_updated_at BEFORE UPDATE ON files
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE TRIGGER update_comments_updated_at BEFORE UPDATE ON comments
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE TRIGGER update_user_quotas_updated_at BEFORE UPDATE ON user_quotas
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE VIEW user_statistics AS
SELECT
    u.id,
    u.username,
    (SELECT count(*) FROM projects p WHERE p.user_id = u.id AND p.deleted_at IS NULL) AS total_projects,
    (SELECT count(*) FROM executions e WHERE e.user_id = u.id) AS total_executions,
    (SELECT coalesce(sum(p.star_count), 0) FROM projects p
        WHERE p.user_id = u.id AND p.deleted_at IS NULL) AS total_stars,
    (SELECT coalesce(sum(f.size_bytes), 0) FROM files f JOIN projects p ON p.id = f.project_id
        WHERE p.user_id = u.id AND p.deleted_at IS NULL) AS storage_bytes,
    (SELECT coalesce(sum(e.execution_time_ms), 0) FROM executions e
        WHERE e.user_id = u.id AND e.created_at >= date_trunc('day', now())) AS execution_ms_today
FROM users u;
