package desk

import "github.com/tsunagu/tsunagu"

// alertCategory is the category an alert carries (risk alerts: 希死念慮…),
// "" for alerts of none.
func alertCategory(a tsunagu.Alert) string { return a.Category }
