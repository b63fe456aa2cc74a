package simulate_test

import (
	"fmt"
	"time"

	"github.com/steleaudit/stele/internal/simulate"
)

// The data of `stele server --dev`: 60 days of one organization's events,
// up to now.
func ExampleSim_History() {
	now := time.Now()
	sim := simulate.New(simulate.Config{Seed: 1, Start: now.Add(-60 * 24 * time.Hour), End: now})
	events := sim.History(50000)
	fmt.Println(len(events), events[0].ID, events[len(events)-1].Timestamp.Before(now))
	// Output: 50000 sim-1-1 true
}

// A load generator's events: the story goes on for as long as it is asked
// to, stamped with the time of sending.
func ExampleSim_Next() {
	sim := simulate.New(simulate.Config{Seed: 2})
	for range 3 {
		e := sim.Next(time.Now())
		fmt.Println(e.ID)
	}
	// Output:
	// sim-2-1
	// sim-2-2
	// sim-2-3
}
