-- 002_tenants.sql: projects, accounts (people and robots) and their permissions.
-- A project is the first component of a repository name. Permissions are bits:
-- 1 pull, 2 push, 4 delete, 8 admin (project administration).

CREATE TABLE projects (
    id          bigserial PRIMARY KEY,
    name        text COLLATE "C" NOT NULL UNIQUE,
    public      boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Existing repositories get their projects.
INSERT INTO projects (name)
    SELECT DISTINCT split_part(name, '/', 1) FROM repositories ON CONFLICT DO NOTHING;
ALTER TABLE repositories ADD COLUMN project_id bigint REFERENCES projects (id);
UPDATE repositories r SET project_id = p.id FROM projects p
    WHERE p.name = split_part(r.name, '/', 1);
CREATE INDEX repositories_project ON repositories (project_id);

-- People and robots. A robot's name starts with "robot$"; it has an expiry and
-- its secret, like a password, is kept only as a salted PBKDF2 hash.
CREATE TABLE accounts (
    id            bigserial PRIMARY KEY,
    name          text COLLATE "C" NOT NULL UNIQUE,
    kind          text NOT NULL DEFAULT 'user' CHECK (kind IN ('user', 'robot')),
    password_hash text NOT NULL,
    is_admin      boolean NOT NULL DEFAULT false,
    expires_at    timestamptz,
    description   text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE members (
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    perms       integer NOT NULL CHECK (perms BETWEEN 1 AND 15),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, account_id)
);
CREATE INDEX members_account ON members (account_id);
