-- Organizations' settings beyond their name, plan and time zone:
-- retention_days, how long events stay viewable, as the organization
-- chose within its plan's bounds (0: the plan's default); require_mfa,
-- whether its members must have MFA to act in it.
ALTER TABLE orgs ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orgs ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;
