-- What a Judge0 submission adds to its execution: the Judge0 language id it was sent with, the
-- expected output it is checked against (Accepted / Wrong Answer is decided when read) and the
-- callback URL. The token is the execution id.
CREATE TABLE judge0_submissions (
    execution_id UUID PRIMARY KEY REFERENCES executions (id) ON DELETE CASCADE,
    language_id INTEGER NOT NULL,
    expected_output BYTEA,
    callback_url TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
