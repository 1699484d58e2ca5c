package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot/line"
	"github.com/tsunagu/tsunagu/config"
	"github.com/tsunagu/tsunagu/flows"
)

// richMenuName is the name LINE lists tsunagu's default menu by; a role's
// menu adds "-ROLE". Applying again replaces the menus of these names.
func richMenuName(m *config.RichMenu, role string) string {
	name := m.Name
	if name == "" {
		name = "tsunagu"
	}
	if role != "" {
		name += "-" + role
	}
	return name
}

const richMenuUsage = `usage: tsunagu richmenu apply     create the configured rich menu(s), make it the default, replace the old
       tsunagu richmenu show [--json] what is live on LINE
       tsunagu richmenu preview FILE.png [--role R]  draw the menu's image without applying it`

func (e *env) richmenu(ctx context.Context, args []string) int {
	if len(args) == 0 || (args[0] != "apply" && args[0] != "show" && args[0] != "preview") {
		fmt.Fprintln(e.stderr, richMenuUsage)
		return exitUsage
	}
	fs, cfgPath := e.flags("richmenu " + args[0])
	asJSON := fs.Bool("json", false, "print JSON")
	role := fs.String("role", "", "with preview: the menu of this role")
	pos, err := parse(fs, args[1:])
	if err != nil || (args[0] == "preview") != (len(pos) == 1) || len(pos) > 1 {
		fmt.Fprintln(e.stderr, richMenuUsage)
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	if args[0] == "preview" {
		return e.previewMenu(c, *role, pos[0])
	}
	if c.LINE.ChannelToken == "" {
		fmt.Fprintln(e.stderr, "tsunagu: TSUNAGU_LINE_CHANNEL_TOKEN is required to manage the rich menu")
		return exitUsage
	}
	menus, err := line.NewMenus(c.LINE.ChannelToken, c.LINE.APIURL, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		return e.fail(err)
	}
	if args[0] == "show" {
		return e.showMenus(ctx, menus, *asJSON)
	}
	return e.applyMenus(ctx, c, menus)
}

func (e *env) applyMenus(ctx context.Context, c config.Config, menus *line.Menus) int {
	if c.RichMenu == nil {
		fmt.Fprintln(e.stderr, "tsunagu: no rich_menu in the configuration; see README (LINE rich menu)")
		return exitUsage
	}
	if code := e.checkMenuFlows(c); code != exitOK {
		return code
	}
	m, err := buildMenu(c.RichMenu, c.RichMenu, "")
	if err != nil {
		return e.fail(err)
	}
	id, err := menus.Apply(ctx, m)
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "default  %s  %s (%d areas): live for everyone\n", id, m.Name, len(m.Areas))
	for _, role := range []string{string(tsunagu.RoleChild), string(tsunagu.RoleGuardian)} {
		rm := c.RichMenu.Roles[role]
		if rm == nil {
			continue
		}
		m, err := buildMenu(rm, c.RichMenu, role)
		if err != nil {
			return e.fail(err)
		}
		id, err := menus.Replace(ctx, m)
		if err != nil {
			return e.fail(err)
		}
		fmt.Fprintf(e.stdout, "%-8s %s  %s (%d areas): linked to each %s when they enrol\n", role, id, m.Name, len(m.Areas), role)
	}
	return exitOK
}

// checkMenuFlows refuses a menu that would start a flow that is not there.
func (e *env) checkMenuFlows(c config.Config) int {
	loaded, diags := flows.LoadPaths(flows.Options{Lang: c.Lang}, c.FlowsDir)
	if diags.HasErrors() {
		fmt.Fprintf(e.stderr, "%s\ntsunagu: the flows in %s have errors; fix them first (tsunagu validate)\n", diags, c.FlowsDir)
		return exitFail
	}
	have := map[string]bool{}
	for _, f := range loaded {
		have[f.ID] = true
	}
	bad := 0
	check := func(where string, m *config.RichMenu) {
		for _, a := range m.Areas {
			if a.Flow != "" && !have[a.Flow] {
				fmt.Fprintf(e.stderr, "tsunagu: rich_menu%s: area %q starts flow %q, which is not in %s\n", where, a.Label, a.Flow, c.FlowsDir)
				bad++
			}
		}
	}
	check("", c.RichMenu)
	for role, rm := range c.RichMenu.Roles {
		check(".roles."+role, rm)
	}
	if bad > 0 {
		return exitFail
	}
	return exitOK
}

// buildMenu turns a configured menu into LINE's, with its image: the one
// given, or one drawn from the labels. def is the top menu, whose name,
// font and chat bar a role's menu inherits.
func buildMenu(rm, def *config.RichMenu, role string) (line.Menu, error) {
	m := line.Menu{Name: richMenuName(def, role), Bar: rm.Bar, Columns: rm.Columns}
	if m.Bar == "" {
		m.Bar = def.Bar
	}
	if m.Bar == "" {
		m.Bar = "メニュー"
	}
	labels := make([]string, len(rm.Areas))
	for i, a := range rm.Areas {
		area := line.MenuArea{Label: a.Label}
		switch {
		case a.Flow != "":
			area.Data = flows.MenuFlowData(a.Flow)
		case a.About:
			area.Data = flows.MenuAboutData
		default:
			area.Text = a.Keyword
		}
		m.Areas = append(m.Areas, area)
		labels[i] = a.Label
	}
	if rm.Image != "" {
		b, err := os.ReadFile(rm.Image)
		if err != nil {
			return m, fmt.Errorf("rich_menu image: %w", err)
		}
		m.Image, m.ImageType = b, http.DetectContentType(b)
		if m.ImageType != "image/png" && m.ImageType != "image/jpeg" {
			return m, fmt.Errorf("rich_menu image %s: LINE takes PNG or JPEG, not %s", rm.Image, m.ImageType)
		}
		return m, nil
	}
	font, err := menuFont(cmpOr(rm.Font, def.Font))
	if err != nil {
		return m, err
	}
	m.Image, err = line.DrawMenu(labels, rm.Columns, font)
	m.ImageType = "image/png"
	return m, err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// menuFont reads the font that draws the labels: the configured one, or
// one with Japanese glyphs that fontconfig knows.
func menuFont(path string) ([]byte, error) {
	if path == "" {
		path = line.FindJapaneseFont()
	}
	if path == "" {
		return nil, errors.New("no font with Japanese glyphs to draw the rich menu: install one (apt-get install fonts-noto-cjk or fonts-ipafont-gothic), set rich_menu.font to a .ttf/.otf/.ttc file, or give rich_menu.image (a PNG of 2500×843, or 2500×1686 for two rows)")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rich_menu font: %w", err)
	}
	return b, nil
}

func (e *env) previewMenu(c config.Config, role, out string) int {
	if c.RichMenu == nil {
		fmt.Fprintln(e.stderr, "tsunagu: no rich_menu in the configuration")
		return exitUsage
	}
	rm := c.RichMenu
	if role != "" {
		if rm = c.RichMenu.Roles[role]; rm == nil {
			fmt.Fprintf(e.stderr, "tsunagu: no rich menu for role %q\n", role)
			return exitUsage
		}
	}
	m, err := buildMenu(rm, c.RichMenu, role)
	if err != nil {
		return e.fail(err)
	}
	if err := os.WriteFile(out, m.Image, 0o600); err != nil {
		return e.fail(err)
	}
	w, h, _ := line.Layout(len(m.Areas), m.Columns)
	fmt.Fprintf(e.stdout, "%s: %d×%d, %d areas\n", out, w, h, len(m.Areas))
	return exitOK
}

// liveMenu is one rich menu as `richmenu show` prints it.
type liveMenu struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Default bool       `json:"default"`
	Bar     string     `json:"bar"`
	Areas   []liveArea `json:"areas"`
}

type liveArea struct {
	Label string `json:"label"`
	Does  string `json:"does"`
}

func (e *env) showMenus(ctx context.Context, menus *line.Menus, asJSON bool) int {
	list, err := menus.List(ctx)
	if err != nil {
		return e.fail(err)
	}
	def, err := menus.Default(ctx)
	if err != nil {
		return e.fail(err)
	}
	out := []liveMenu{}
	for _, m := range list {
		lm := liveMenu{ID: m.RichMenuId, Name: m.Name, Default: m.RichMenuId == def, Bar: m.ChatBarText}
		for _, a := range m.Areas {
			lm.Areas = append(lm.Areas, describeArea(a.Action))
		}
		out = append(out, lm)
	}
	if asJSON {
		e.printJSON(out)
		return exitOK
	}
	if len(out) == 0 {
		fmt.Fprintln(e.stdout, "no rich menu on LINE (tsunagu richmenu apply)")
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, m := range out {
		mark := ""
		if m.Default {
			mark = " (default)"
		}
		fmt.Fprintf(tw, "%s  %s%s  bar %q\n", m.ID, m.Name, mark, m.Bar)
		for _, a := range m.Areas {
			fmt.Fprintf(tw, "  %s\t%s\n", a.Label, a.Does)
		}
	}
	tw.Flush()
	return exitOK
}

// describeArea says what a tap does, from the action LINE holds.
func describeArea(act messaging_api.ActionInterface) liveArea {
	var label, text, data string
	switch a := act.(type) {
	case messaging_api.MessageAction:
		label, text = a.Label, a.Text
	case *messaging_api.MessageAction:
		label, text = a.Label, a.Text
	case messaging_api.PostbackAction:
		label, data = a.Label, a.Data
	case *messaging_api.PostbackAction:
		label, data = a.Label, a.Data
	}
	switch id, ok := strings.CutPrefix(data, "menu:flow:"); {
	case ok:
		return liveArea{Label: label, Does: "starts flow " + id}
	case data == flows.MenuAboutData:
		return liveArea{Label: label, Does: "says what tsunagu is"}
	case text != "":
		return liveArea{Label: label, Does: fmt.Sprintf("sends %q", text)}
	}
	return liveArea{Label: label, Does: "(another action)"}
}

// enrolledMenus links a newly enrolled member to their role's rich menu,
// in the background: LINE is not waited for while the webhook answers.
func enrolledMenus(c *config.Config, log *slog.Logger) func(tsunagu.Member) {
	if c.RichMenu == nil || len(c.RichMenu.Roles) == 0 || c.LINE.ChannelToken == "" {
		return nil
	}
	menus, err := line.NewMenus(c.LINE.ChannelToken, c.LINE.APIURL, nil)
	if err != nil {
		return nil
	}
	return func(m tsunagu.Member) {
		if c.RichMenu.Roles[string(m.Role)] == nil {
			return
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := menus.LinkByName(ctx, m.LineUserID, richMenuName(c.RichMenu, string(m.Role))); err != nil {
				log.Warn("rich menu not linked; the member sees the default", "member", m.ID, "err", err)
			}
		}()
	}
}
