-- Storage is counted in bytes (exact; the MB column is kept in step for the spec's readers),
-- changed in the same statement that checks it against max_storage_mb.
ALTER TABLE user_quotas ADD COLUMN storage_used_bytes BIGINT NOT NULL DEFAULT 0 CHECK (storage_used_bytes >= 0);

-- A star or a view is not an edit: updated_at moves only when the project itself changes
-- (file changes set it explicitly).
DROP TRIGGER update_projects_updated_at ON projects;
CREATE TRIGGER update_projects_updated_at
    BEFORE UPDATE OF name, description, language, visibility, is_template ON projects
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- Listings read live projects only.
CREATE INDEX idx_projects_owner_live ON projects (user_id, updated_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX idx_projects_public_live ON projects (updated_at DESC)
    WHERE deleted_at IS NULL AND visibility = 'public';
CREATE INDEX idx_comments_project_live ON comments (project_id, created_at) WHERE deleted_at IS NULL;
