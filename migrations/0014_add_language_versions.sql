-- Language versions (sandbox-images/languages.json: each language has one or more versions).
--   * executions.language_version: the version the execution ran with (an image's exact
--     version label, or the version's release series when no live agent reported it at submit);
--     NULL for executions from before versions existed.
--   * executions.sandbox_image: the manifest image of that version (e.g. "trixie/python"), so a
--     job re-queued by the sweeper runs on the same version; NULL before versions existed.
--   * projects.language_version: the version a project runs with, as its owner asked for it
--     (exact, or a semver range such as "3.11.x"); NULL means the newest available.
ALTER TABLE executions ADD COLUMN language_version VARCHAR(100), ADD COLUMN sandbox_image VARCHAR(100);
ALTER TABLE projects ADD COLUMN language_version VARCHAR(100);

-- Changing a project's version is an edit of the project, like changing its language.
DROP TRIGGER update_projects_updated_at ON projects;
CREATE TRIGGER update_projects_updated_at
    BEFORE UPDATE OF name, description, language, language_version, visibility, is_template ON projects
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();
