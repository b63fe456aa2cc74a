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

	eventColumns = `seq, id, ts, received_at, event, category,
		actor_type, actor_id, actor_email, actor_name,
		target_type, target_id, target_name, ip, user_agent,
		details, personal, salt, commitments, id_hash`
	selectEvents = `SELECT ` + eventColumns + ` FROM events
		WHERE org = ? AND seq >= ? AND seq < ? ORDER BY seq`
	selectEvent = `SELECT ` + eventColumns + ` FROM events WHERE org = ? AND seq = ?`
	insertEvent = `INSERT INTO events (org, seq, id, id_hash, ts, received_at, event, category,
		actor_type, actor_id, actor_email, actor_name,
		target_type, target_id, target_name, ip, user_agent,
		details, personal, salt, commitments)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
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
)

// statements are the prepared statements of one connection pool. Those
// that write are nil for the read pool.
type statements struct {
	orgs, orgNum, head                        *sql.Stmt
	events, event, ids, tiles                 *sql.Stmt
	checkpoints, checkpoint, latestCheckpoint *sql.Stmt
	insertOrg, updateHead, insertEvent        *sql.Stmt
	upsertTile, insertCheckpoint              *sql.Stmt
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
		{&s.ids, selectIDs},
		{&s.tiles, selectTiles},
		{&s.checkpoints, selectCheckpoints},
		{&s.checkpoint, selectCheckpoint},
		{&s.latestCheckpoint, selectLatestCheckpoint},
	}
	if write {
		defs = append(defs,
			def{&s.insertOrg, insertOrg},
			def{&s.updateHead, updateHead},
			def{&s.insertEvent, insertEvent},
			def{&s.upsertTile, upsertTile},
			def{&s.insertCheckpoint, insertCheckpoint},
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
