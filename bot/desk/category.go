package desk

import "github.com/tsunagu/tsunagu"

// alertCategory is the category an alert carries. Alerts carry none yet
// (risk detection adds one); until then every alert counts under "".
func alertCategory(a tsunagu.Alert) string { return "" }
