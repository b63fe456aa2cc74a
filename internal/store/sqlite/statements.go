package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// The statements the store runs. Each is prepared once per connection and
// reused: parsing costs as much as running most of them.
const (
	selectOrgs   = `SELECT id FROM orgs ORDER BY id`
	selectOrgNum = `SELECT num FROM orgs WHERE id = ?`
	selectHead   = `SELECT num, tree_size, tree_root FROM orgs WHERE id = ?`
	insertOrg    = `INSERT INTO orgs (id, tree_size) VALUES (?, 0) RETURNING num`
	updateHead   = `UPDATE orgs SET tree_size = ?, tree_root = ? WHERE num = ?`

	// eventTexts are the text columns of events in the order an
	// eventScanner reads them, the nullable ones last; eventColumns are the
	// columns it reads, with the texts joined into one by textSep.
	eventTexts = `id, event, category, actor_type, actor_id, actor_email, actor_name,
		target_type, target_id, target_name, ip, user_agent,
		details, personal, commitments`
	eventColumns = `seq, ts, received_at, id_hash, salt, key, concat_ws(char(31),
		id, event, category, actor_type, actor_id, actor_email, actor_name,
		target_type, target_id, target_name, ip, user_agent,
		ifnull(details, ''), ifnull(personal, ''), ifnull(commitments, ''))`
	selectTexts  = `SELECT ` + eventTexts + ` FROM events WHERE key = ?`
	selectEvents = `SELECT ` + eventColumns + ` FROM events
		WHERE org = ? AND seq >= ? AND seq < ? ORDER BY seq`
	selectEvent = `SELECT ` + eventColumns + ` FROM events WHERE org = ? AND seq = ?`
	// selectList reads org's events newest first in the order of index
	// events_ts, (ts, key) descending, which is (ts, seq) descending: key
	// order is seq order within an organization (see tx.Append). The
	// range ?2 <= ts <= ?3 is the index's; at ts = ?3 only seqs up to ?4
	// pass, which is how a cursor ends the range within a timestamp.
	selectList = `SELECT ` + eventColumns + ` FROM events
		WHERE org = ?1 AND ts >= ?2 AND ts <= ?3 AND (ts < ?3 OR seq <= ?4)
		ORDER BY ts DESC, key DESC LIMIT ?5`
	addHour = `INSERT INTO event_hours (org, hour, event, actor_type, category, n) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (org, hour, event, actor_type) DO UPDATE SET n = n + excluded.n`
	addActorDay = `INSERT INTO actor_days (org, day, actor, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (org, day, actor) DO UPDATE SET n = n + excluded.n`
	addTargetDay = `INSERT INTO target_days (org, day, target, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (org, day, target) DO UPDATE SET n = n + excluded.n`
	insertEvent = `INSERT INTO events (org, seq, id, id_hash, ts, received_at, event, category,
		actor_type, actor_id, actor_email, actor_name,
		target_type, target_id, target_name, ip, user_agent,
		details, personal, salt, commitments)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// Rows of the tables of distinct values, which search looks up.
	insertEventType = `INSERT INTO event_types (org, category, event) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`
	insertActor = `INSERT INTO actors (org, text, email, id) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`
	insertTarget = `INSERT INTO targets (org, text, id, name) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`
	insertIP = `INSERT INTO ips (org, ip, email, id) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`
	selectEventTypes = `SELECT category, event FROM event_types WHERE org = ?`
	// selectActors and selectTargets take the range of texts a value's
	// literal start allows, the value as a pattern for stele_match, and a
	// limit.
	selectActors = `SELECT DISTINCT email, id FROM actors
		WHERE org = ?1 AND text BETWEEN ?2 AND ?3 AND stele_match(?4, 0, text) LIMIT ?5`
	selectTargets = `SELECT DISTINCT id, name FROM targets
		WHERE org = ?1 AND text BETWEEN ?2 AND ?3 AND stele_match(?4, 0, text) LIMIT ?5`
	// selectIPActors returns the actors of addresses in the prefixes ?2
	// (as stele_ip_in takes them), and a limit.
	selectIPActors = `SELECT DISTINCT email, id FROM ips
		WHERE org = ?1 AND stele_ip_in(ip, ?2) LIMIT ?3`
	// selectTargetIDs returns the first ?4 distinct target ids from ?2 to
	// ?3, a seek in events_target each.
	selectTargetIDs = `WITH RECURSIVE ids (id) AS (
			SELECT (SELECT target_id FROM events INDEXED BY events_target
				WHERE org = ?1 AND target_id <> '' AND target_id BETWEEN ?2 AND ?3
				ORDER BY target_id LIMIT 1)
			UNION ALL
			SELECT (SELECT target_id FROM events INDEXED BY events_target
				WHERE org = ?1 AND target_id <> '' AND target_id > ids.id AND target_id <= ?3
				ORDER BY target_id LIMIT 1)
			FROM ids WHERE ids.id IS NOT NULL
			LIMIT ?4)
		SELECT id FROM ids WHERE id IS NOT NULL`

	// selectIDs takes the id hashes as a JSON array, so one query answers
	// for a whole batch; the caller compares the ids themselves.
	selectIDs = `SELECT id, seq FROM events
		WHERE org = ? AND id_hash IN (SELECT value FROM json_each(?))`

	// selectTiles takes the tiles as a JSON array of [level, n] pairs and
	// answers with each one's position in it. CROSS JOIN keeps the list
	// the outer loop: the planner would rather walk all of org's tiles.
	selectTiles = `SELECT j.key, t.data FROM json_each(?2) AS j
		CROSS JOIN tiles AS t ON t.org = ?1 AND t.level = j.value ->> 0 AND t.n = j.value ->> 1`
	// upsertTile keeps the widest data stored for a tile.
	upsertTile = `INSERT INTO tiles (org, level, n, data) VALUES (?, ?, ?, ?)
		ON CONFLICT (org, level, n) DO UPDATE SET data = excluded.data
		WHERE length(excluded.data) > length(tiles.data)`

	checkpointColumns = `size, note, signed_at`
	selectCheckpoints = `SELECT ` + checkpointColumns + ` FROM checkpoints
		WHERE org = ? ORDER BY size`
	selectCheckpoint = `SELECT ` + checkpointColumns + ` FROM checkpoints
		WHERE org = ? AND size = ?`
	selectLatestCheckpoint = `SELECT ` + checkpointColumns + ` FROM checkpoints
		WHERE org = ? ORDER BY size DESC LIMIT 1`
	insertCheckpoint = `INSERT INTO checkpoints (org, size, note, signed_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`

	// An organization is registered once its created_at is set.
	selectOrg = `SELECT id, name, plan, time_zone, retention_days, require_mfa, created_at FROM orgs
		WHERE id = ? AND created_at IS NOT NULL`
	// registerOrg creates a registered organization's empty log, or
	// registers the log that exists; it returns no row if the organization
	// is registered already.
	registerOrg = `INSERT INTO orgs (id, tree_size, name, plan, time_zone, created_at, retention_days, require_mfa)
		VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6, ?7)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, plan = excluded.plan,
			time_zone = excluded.time_zone, created_at = excluded.created_at,
			retention_days = excluded.retention_days, require_mfa = excluded.require_mfa
		WHERE orgs.created_at IS NULL
		RETURNING num`
	updateOrg = `UPDATE orgs SET name = ?2, plan = ?3, time_zone = ?4, retention_days = ?5, require_mfa = ?6
		WHERE id = ?1 AND created_at IS NOT NULL`

	apiKeyColumns = `api_keys.id, orgs.id, api_keys.name, api_keys.scopes, api_keys.hash,
		api_keys.created_at, api_keys.revoked_at`
	selectAPIKey = `SELECT ` + apiKeyColumns + ` FROM api_keys
		JOIN orgs ON orgs.num = api_keys.org WHERE api_keys.id = ?`
	// selectAPIKeys reads the index in order: it ends with the key's id.
	selectAPIKeys = `SELECT ` + apiKeyColumns + ` FROM orgs
		JOIN api_keys ON api_keys.org = orgs.num WHERE orgs.id = ?
		ORDER BY api_keys.created_at, api_keys.id`
	// insertAPIKey inserts nothing unless the organization is registered.
	insertAPIKey = `INSERT INTO api_keys (id, org, name, scopes, hash, created_at, revoked_at)
		SELECT ?1, num, ?3, ?4, ?5, ?6, ?7 FROM orgs WHERE id = ?2 AND created_at IS NOT NULL`
	// revokeAPIKey keeps the first revocation time.
	revokeAPIKey = `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?3)
		WHERE id = ?2 AND org = (SELECT num FROM orgs WHERE id = ?1)`
)

// statements are the prepared statements of one connection pool. Those
// that write are nil for the read pool.
type statements struct {
	orgs, orgNum, head                        *sql.Stmt
	events, event, texts, list, ids, tiles    *sql.Stmt
	eventTypes, actors, targets, targetIDs    *sql.Stmt
	ipActors                                  *sql.Stmt
	checkpoints, checkpoint, latestCheckpoint *sql.Stmt
	org, apiKey, apiKeys                      *sql.Stmt
	insertOrg, updateHead, insertEvent        *sql.Stmt
	upsertTile, insertCheckpoint              *sql.Stmt
	insertEventType, insertActor              *sql.Stmt
	insertTarget, insertIP, addHour           *sql.Stmt
	addActorDay, addTargetDay                 *sql.Stmt
	registerOrg, updateOrg                    *sql.Stmt
	insertAPIKey, revokeAPIKey                *sql.Stmt
	all                                       []*sql.Stmt
}

// prepare prepares the statements on db: all of them if write, else
// only those that read.
func prepare(ctx context.Context, db *sql.DB, write bool) (*statements, error) {
	s := new(statements)
	type def struct {
		p   **sql.Stmt
		sql string
	}
	defs := []def{
		{&s.orgs, selectOrgs},
		{&s.orgNum, selectOrgNum},
		{&s.head, selectHead},
		{&s.events, selectEvents},
		{&s.event, selectEvent},
		{&s.texts, selectTexts},
		{&s.list, selectList},
		{&s.ids, selectIDs},
		{&s.eventTypes, selectEventTypes},
		{&s.actors, selectActors},
		{&s.targets, selectTargets},
		{&s.targetIDs, selectTargetIDs},
		{&s.ipActors, selectIPActors},
		{&s.tiles, selectTiles},
		{&s.checkpoints, selectCheckpoints},
		{&s.checkpoint, selectCheckpoint},
		{&s.latestCheckpoint, selectLatestCheckpoint},
		{&s.org, selectOrg},
		{&s.apiKey, selectAPIKey},
		{&s.apiKeys, selectAPIKeys},
	}
	if write {
		defs = append(defs,
			def{&s.insertOrg, insertOrg},
			def{&s.updateHead, updateHead},
			def{&s.insertEvent, insertEvent},
			def{&s.insertEventType, insertEventType},
			def{&s.insertActor, insertActor},
			def{&s.insertTarget, insertTarget},
			def{&s.insertIP, insertIP},
			def{&s.addHour, addHour},
			def{&s.addActorDay, addActorDay},
			def{&s.addTargetDay, addTargetDay},
			def{&s.upsertTile, upsertTile},
			def{&s.insertCheckpoint, insertCheckpoint},
			def{&s.registerOrg, registerOrg},
			def{&s.updateOrg, updateOrg},
			def{&s.insertAPIKey, insertAPIKey},
			def{&s.revokeAPIKey, revokeAPIKey},
		)
	}
	for _, d := range defs {
		st, err := db.PrepareContext(ctx, d.sql)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("couldn't prepare %q: %w", d.sql, err)
		}
		*d.p = st
		s.all = append(s.all, st)
	}
	return s, nil
}

func (s *statements) close() error {
	var err error
	for _, st := range s.all {
		if e := st.Close(); e != nil && err == nil {
			err = e
		}
	}
	return err
}
