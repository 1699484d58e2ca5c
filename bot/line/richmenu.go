package line

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

// Menu is a rich menu as tsunagu lays it out: a grid of areas, each a label
// and what a tap does, and the image that shows them.
type Menu struct {
	Name    string // names it in LINE's list: a menu applied again replaces the one of the same name
	Bar     string // the chat bar's text
	Columns int
	Areas   []MenuArea
	Image   []byte // PNG or JPEG of Width×Height (see Layout)
	// ImageType is the image's content type: image/png or image/jpeg.
	ImageType string
}

// MenuArea is one tappable area. Exactly one of Text (sent as the member's
// message) and Data (a postback, with Label shown in the chat) is set.
type MenuArea struct {
	Label string
	Text  string
	Data  string
}

// Rich menu sizes: LINE's full width, one row or two.
const (
	MenuWidth     = 2500
	MenuRowHeight = 843
)

// Rect is an area's place on the menu, in pixels.
type Rect struct{ X, Y, W, H int }

// Layout is the menu's size and the place of each of n areas in rows of
// cols (one or two rows, as LINE's standard sizes; more areas make more,
// shorter rows within two rows' height).
func Layout(n, cols int) (w, h int, rects []Rect) {
	if cols <= 0 {
		cols = 3
	}
	cols = min(cols, n)
	rows := (n + cols - 1) / cols
	w, h = MenuWidth, MenuRowHeight
	if rows > 1 {
		h = 2 * MenuRowHeight
	}
	rowH := h / rows
	for i := range n {
		r, c := i/cols, i%cols
		inRow := min(cols, n-r*cols) // the last row may be short: its areas widen
		colW := w / inRow
		x := c * colW
		cw := colW
		if c == inRow-1 {
			cw = w - x
		}
		rh := rowH
		if r == rows-1 {
			rh = h - r*rowH
		}
		rects = append(rects, Rect{X: x, Y: r * rowH, W: cw, H: rh})
	}
	return w, h, rects
}

// Menus manages rich menus through the Messaging API (and its blob API for
// images). The SDK methods take no context; each call binds one.
type Menus struct {
	api  *messaging_api.MessagingApiAPI
	blob *messaging_api.MessagingApiBlobAPI
}

// NewMenus returns Menus for the channel access token. An empty endpoint
// means LINE's own (api.line.me, and api-data.line.me for images); a test's
// endpoint serves both.
func NewMenus(channelToken, endpoint string, hc *http.Client) (*Menus, error) {
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	opts := []messaging_api.MessagingApiAPIOption{messaging_api.WithHTTPClient(hc)}
	blobOpts := []messaging_api.MessagingApiBlobAPIOption{messaging_api.WithBlobHTTPClient(hc)}
	if endpoint != "" {
		opts = append(opts, messaging_api.WithEndpoint(endpoint))
		blobOpts = append(blobOpts, messaging_api.WithBlobEndpoint(endpoint))
	}
	api, err := messaging_api.NewMessagingApiAPI(channelToken, opts...)
	if err != nil {
		return nil, fmt.Errorf("line rich menus: %w", err)
	}
	blob, err := messaging_api.NewMessagingApiBlobAPI(channelToken, blobOpts...)
	if err != nil {
		return nil, fmt.Errorf("line rich menus: %w", err)
	}
	return &Menus{api: api, blob: blob}, nil
}

func (m *Menus) call(ctx context.Context) *messaging_api.MessagingApiAPI {
	api := *m.api
	return api.WithContext(ctx)
}

// Create makes the rich menu and uploads its image; it returns the new id.
// A menu whose image fails is deleted again, so no half-made menu is left.
func (m *Menus) Create(ctx context.Context, menu Menu) (string, error) {
	w, h, rects := Layout(len(menu.Areas), menu.Columns)
	req := &messaging_api.RichMenuRequest{
		Size:        &messaging_api.RichMenuSize{Width: int64(w), Height: int64(h)},
		Selected:    true,
		Name:        menu.Name,
		ChatBarText: menu.Bar,
	}
	for i, a := range menu.Areas {
		r := rects[i]
		area := messaging_api.RichMenuArea{Bounds: &messaging_api.RichMenuBounds{X: int64(r.X), Y: int64(r.Y), Width: int64(r.W), Height: int64(r.H)}}
		if a.Data != "" {
			area.Action = &messaging_api.PostbackAction{Label: a.Label, Data: a.Data, DisplayText: a.Label}
		} else {
			area.Action = &messaging_api.MessageAction{Label: a.Label, Text: a.Text}
		}
		req.Areas = append(req.Areas, area)
	}
	res, err := m.call(ctx).CreateRichMenu(req)
	if err != nil {
		return "", fmt.Errorf("create rich menu %q: %w", menu.Name, err)
	}
	blob := *m.blob
	if _, err := blob.WithContext(ctx).SetRichMenuImage(res.RichMenuId, menu.ImageType, bytes.NewReader(menu.Image)); err != nil {
		_, _ = m.call(ctx).DeleteRichMenu(res.RichMenuId)
		return "", fmt.Errorf("upload the image of rich menu %q: %w", menu.Name, err)
	}
	return res.RichMenuId, nil
}

// Apply makes menu LINE's default for everyone and deletes the menus of
// the same name it replaces. It returns the new menu's id.
func (m *Menus) Apply(ctx context.Context, menu Menu) (string, error) {
	old, err := m.List(ctx)
	if err != nil {
		return "", err
	}
	id, err := m.Create(ctx, menu)
	if err != nil {
		return "", err
	}
	if _, err := m.call(ctx).SetDefaultRichMenu(id); err != nil {
		return "", fmt.Errorf("set rich menu %s as default: %w", id, err)
	}
	return id, m.deleteNamed(ctx, old, menu.Name, id)
}

// Replace makes menu (of a role) anew and deletes the older ones of its
// name; members are linked to it one by one (Link).
func (m *Menus) Replace(ctx context.Context, menu Menu) (string, error) {
	old, err := m.List(ctx)
	if err != nil {
		return "", err
	}
	id, err := m.Create(ctx, menu)
	if err != nil {
		return "", err
	}
	return id, m.deleteNamed(ctx, old, menu.Name, id)
}

func (m *Menus) deleteNamed(ctx context.Context, old []messaging_api.RichMenuResponse, name, keep string) error {
	var errs []error
	for _, o := range old {
		if o.Name == name && o.RichMenuId != keep {
			if _, err := m.call(ctx).DeleteRichMenu(o.RichMenuId); err != nil {
				errs = append(errs, fmt.Errorf("delete old rich menu %s: %w", o.RichMenuId, err))
			}
		}
	}
	return errors.Join(errs...)
}

// List returns the rich menus of the channel.
func (m *Menus) List(ctx context.Context) ([]messaging_api.RichMenuResponse, error) {
	res, err := m.call(ctx).GetRichMenuList()
	if err != nil {
		return nil, fmt.Errorf("list rich menus: %w", err)
	}
	return res.Richmenus, nil
}

// Default returns the id of the default rich menu, "" when there is none.
func (m *Menus) Default(ctx context.Context) (string, error) {
	res, status, err := m.defaultID(ctx)
	if status == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get the default rich menu: %w", err)
	}
	return res, nil
}

func (m *Menus) defaultID(ctx context.Context) (string, int, error) {
	resp, res, err := m.call(ctx).GetDefaultRichMenuIdWithHttpInfo()
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	if err != nil || res == nil {
		return "", status, err
	}
	return res.RichMenuId, status, nil
}

// Link shows rich menu id to one LINE user instead of the default.
func (m *Menus) Link(ctx context.Context, lineUserID, id string) error {
	if _, err := m.call(ctx).LinkRichMenuIdToUser(lineUserID, id); err != nil {
		return fmt.Errorf("link rich menu %s: %w", id, err)
	}
	return nil
}

// LinkByName shows the newest rich menu named name to one LINE user. A
// name no menu has is not an error: the user keeps the default.
func (m *Menus) LinkByName(ctx context.Context, lineUserID, name string) error {
	menus, err := m.List(ctx)
	if err != nil {
		return err
	}
	for i := len(menus) - 1; i >= 0; i-- {
		if menus[i].Name == name {
			return m.Link(ctx, lineUserID, menus[i].RichMenuId)
		}
	}
	return nil
}
