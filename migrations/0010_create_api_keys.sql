-- API keys for internal tools calling the Connect/gRPC API. Only a SHA-256 of the key is kept
-- (keys are 256 random bits, so a slow hash adds nothing); the key itself is shown once.
CREATE TABLE api_keys (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(100) NOT NULL CHECK (length(name) > 0),
    -- The first characters of the key, shown in listings so a key can be recognised.
    prefix VARCHAR(16) NOT NULL,
    key_hash BYTEA NOT NULL UNIQUE,
    scopes TEXT[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['execute', 'read']),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

CREATE INDEX api_keys_user_id_idx ON api_keys (user_id, created_at DESC);
