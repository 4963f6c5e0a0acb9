//go:build !race

package mail

// raceEnabled reports that the race detector is on (tests pick smaller sizes).
const raceEnabled = false
