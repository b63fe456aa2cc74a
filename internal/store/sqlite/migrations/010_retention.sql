-- How long an organization's events stay viewable, in days, as it chose
-- within its plan's bounds; 0 for the plan's default.
ALTER TABLE orgs ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0;
