-- Stored test sets (README, "Grading"): a user's tests, submitted against with `testSetId`
-- instead of inline `tests`. `tests` is [{name, stdin, expectedOutput, timeout?, hidden}] with
-- the caps of inline tests (checked by the control-plane); `checker` is the set's default
-- checker (null: the request's, else trimmed). A hidden test's stdin and expected output are
-- shown to the owner only, and its output to no one else who submits against the set.
-- An execution copies what it runs into executions.grading, so a set may change or go while
-- executions of it are queued.
CREATE TABLE test_sets (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name VARCHAR(200) NOT NULL CHECK (length(name) >= 1),
    visibility VARCHAR(20) NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public', 'unlisted')),
    tests JSONB NOT NULL CHECK (jsonb_typeof(tests) = 'array' AND jsonb_array_length(tests) >= 1),
    checker JSONB CHECK (checker IS NULL OR jsonb_typeof(checker) = 'object'),
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_test_sets_user ON test_sets (user_id, created_at DESC);
