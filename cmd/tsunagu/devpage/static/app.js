// tsunagu dev: the page polls /dev/api/state and sends what you do to
// /dev/api/*, which the dev process turns into signed LINE webhooks and
// Slack interactions to the real service.
"use strict";

const $ = (id) => document.getElementById(id);
let member = localStorage.getItem("tsunagu-dev-member") || "";
let last = "";
let state = null;
let shownView = "";
let chatCount = -1; // bubbles shown: new ones scroll the chat down
let slackCount = -1;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function toast(msg) {
  const t = $("toast");
  t.textContent = msg;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 5000);
}

async function post(path, body, button) {
  if (button) button.disabled = true;
  try {
    const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const out = await res.json().catch(() => ({}));
    if (!res.ok) toast(out.error || ("エラー " + res.status));
    return out;
  } catch (e) {
    toast("dev に接続できません: " + e);
    return {};
  } finally {
    if (button) button.disabled = false;
    refresh();
  }
}

// --- Slack mrkdwn, enough to read alerts: *bold*, _italic_, ~strike~,
// `code`, <@U…> mentions, <!subteam^S…> groups, <url|text> links.
function mrkdwn(text) {
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  let out = "";
  let rest = text || "";
  const link = /<([^>]+)>/;
  while (rest) {
    const m = rest.match(link);
    if (!m) { out += inline(esc(rest)); break; }
    out += inline(esc(rest.slice(0, m.index)));
    const inner = m[1];
    if (inner.startsWith("@")) out += '<span class="sl-mention">@' + esc(inner.slice(1).split("|")[0]) + "</span>";
    else if (inner.startsWith("!subteam^")) out += '<span class="sl-mention">@' + esc((inner.split("|")[1] || inner.slice(9))) + "</span>";
    else if (inner.startsWith("!")) out += '<span class="sl-mention">@' + esc(inner.slice(1).split("|")[0]) + "</span>";
    else { const [u, t] = inner.split("|"); out += '<a href="' + esc(u) + '" target="_blank" rel="noopener">' + esc(t || u) + "</a>"; }
    rest = rest.slice(m.index + m[0].length);
  }
  // "> " quotes a line.
  return out.split("\n").map((l) => l.startsWith("&gt; ") ? '<span class="sl-quote">' + l.slice(5) + "</span>" : l).join("<br>");
}
function inline(s) {
  return s
    .replace(/&amp;lt;/g, "&lt;").replace(/&amp;gt;/g, "&gt;").replace(/&amp;amp;/g, "&amp;")
    .replace(/`([^`\n]+)`/g, "<code>$1</code>")
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, "$1<b>$2</b>")
    .replace(/(^|[\s(])_([^_\n]+)_/g, "$1<i>$2</i>")
    .replace(/(^|[\s(])~([^~\n]+)~/g, "$1<s>$2</s>");
}
function textHTML(t) {
  if (!t) return "";
  if (typeof t === "string") return mrkdwn(t);
  if (t.type === "plain_text") return mrkdwn(t.text.replace(/[<>&]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c]));
  return mrkdwn(t.text);
}

// --- Block Kit: header, section (text, fields, button accessory),
// context, divider, actions (buttons).
function renderBlocks(blocks, ts) {
  const box = el("div");
  for (const b of blocks || []) {
    switch (b.type) {
      case "header": { const h = el("div", "sl-header"); h.innerHTML = textHTML(b.text); box.append(h); break; }
      case "section": {
        if (b.text) { const s = el("div", "sl-section"); s.innerHTML = textHTML(b.text); box.append(s); }
        if (b.fields) {
          const f = el("div", "sl-fields");
          for (const x of b.fields) { const d = el("div", "sl-field"); d.innerHTML = textHTML(x); f.append(d); }
          box.append(f);
        }
        if (b.accessory && b.accessory.type === "button") {
          const a = el("div", "sl-actions"); a.append(slackButton(b.accessory, b.block_id, ts)); box.append(a);
        }
        break;
      }
      case "context": {
        const c = el("div", "sl-context");
        c.innerHTML = (b.elements || []).filter((x) => x.text).map((x) => textHTML(x)).join("　");
        box.append(c);
        break;
      }
      case "divider": box.append(el("hr", "sl-divider")); break;
      case "actions": {
        const a = el("div", "sl-actions");
        for (const x of b.elements || []) if (x.type === "button") a.append(slackButton(x, b.block_id, ts));
        box.append(a);
        break;
      }
      case "input": break; // modals render their inputs themselves
      default: { const d = el("div", "sl-context", "[" + b.type + "]"); box.append(d); }
    }
  }
  return box;
}

function slackButton(x, blockID, ts) {
  const btn = el("button", x.style || "", (x.text && x.text.text) || x.action_id);
  btn.type = "button";
  btn.addEventListener("click", () => post("/dev/api/slack/click", { ts, action_id: x.action_id, block_id: blockID || "", value: x.value || "" }, btn));
  return btn;
}

function slackMessage(m, name) {
  const row = el("div", "sl-msg" + (m.ephemeral ? " sl-ephemeral" : ""));
  row.append(el("div", "sl-avatar", "つ"));
  const main = el("div", "sl-main");
  const who = el("div", "sl-name", name || "つなぐ");
  who.append(el("small", "", ""));
  main.append(who);
  if (m.blocks && m.blocks.length) main.append(renderBlocks(m.blocks, m.ts));
  else { const s = el("div", "sl-section"); s.innerHTML = mrkdwn(m.text); main.append(s); }
  if (m.updates) main.append(el("span", "sl-edited", "（編集済み）"));
  if (m.replies && m.replies.length) {
    const th = el("div", "sl-thread");
    th.append(el("div", "sl-thread-label", "スレッド " + m.replies.length + " 件の返信"));
    for (const r of m.replies) th.append(slackMessage(r));
    main.append(th);
  }
  row.append(main);
  return row;
}

// --- Rendering the state.
function render(s) {
  $("now").textContent = s.now;
  $("next").textContent = s.next_checkin;
  $("memory").hidden = !s.memory;
  $("flow-errors").hidden = !s.flow_errors;
  $("flow-errors-text").textContent = s.flow_errors || "";

  const sel = $("member");
  if (sel.options.length !== s.members.length) {
    sel.textContent = "";
    for (const m of s.members) {
      const o = el("option", "", m.family + "（" + (m.role === "child" ? "こども" : "保護者") + "）");
      o.value = m.key;
      sel.append(o);
    }
    if (!s.members.some((m) => m.key === member)) member = s.members[0] ? s.members[0].key : "";
    sel.value = member;
    if (!s.chat) refresh();
  }
  const me = s.members.find((m) => m.key === member);
  $("send-code").textContent = me ? "招待コード " + me.code + " を送る" : "招待コードを送る";
  // Shown once the page knows its member: a click before would name nobody.
  $("send-code").hidden = !me;
  $("follow").hidden = !me || !!s.friend;
  $("unfollow").hidden = !me || !s.friend;

  const chat = $("chat");
  const keep = chat.scrollTop;
  chat.textContent = "";
  if (!s.chat || !s.chat.length) chat.append(el("p", "empty", "「友だち追加」から始めましょう。"));
  for (const c of s.chat || []) chat.append(el("div", "bubble " + c.from, c.text));
  const n = (s.chat || []).length;
  chat.scrollTop = n !== chatCount ? chat.scrollHeight : keep;
  chatCount = n;

  const quick = $("quick");
  quick.textContent = "";
  const lastMsg = (s.chat || [])[(s.chat || []).length - 1];
  if (lastMsg && lastMsg.from === "bot" && lastMsg.quick) {
    for (const q of lastMsg.quick) {
      const b = el("button", "", q.Label);
      b.type = "button";
      b.addEventListener("click", () => {
        if (q.Type === "postback") post("/dev/api/line/postback", { member, data: q.Data, label: q.DisplayText || q.Label }, b);
        else post("/dev/api/line/text", { member, text: q.Label }, b);
      });
      quick.append(b);
    }
  }

  const ch = $("channel");
  const keepCh = ch.scrollTop;
  ch.textContent = "";
  if (!s.slack || !s.slack.length) ch.append(el("p", "empty", "まだアラートはありません。"));
  for (const m of s.slack || []) ch.append(slackMessage(m));
  const sn = (s.slack || []).length;
  ch.scrollTop = sn !== slackCount ? ch.scrollHeight : keepCh;
  slackCount = sn;

  const notes = $("notices");
  notes.textContent = "";
  for (const n of s.notices || []) {
    notes.append(slackMessage({ text: n.text, blocks: n.blocks, ephemeral: !n.public, ts: "" }, "/tsunagu"));
  }
  notes.scrollTop = notes.scrollHeight;

  renderModal(s.view);
}

function renderModal(v) {
  const modal = $("modal");
  if (!v) { modal.hidden = true; shownView = ""; return; }
  if (shownView === v.id) return; // keep what is being typed
  shownView = v.id;
  $("modal-title").textContent = (v.title && v.title.text) || "";
  $("modal-submit").textContent = (v.submit && v.submit.text) || "送信";
  $("modal-close").textContent = (v.close && v.close.text) || "キャンセル";
  $("modal-submit").hidden = !v.submit;
  $("modal-error").hidden = true;
  const body = $("modal-body");
  body.textContent = "";
  for (const b of v.blocks || []) {
    if (b.type !== "input") { body.append(renderBlocks([b], "")); continue; }
    const id = "in-" + b.element.action_id;
    const label = el("label", "", b.label.text + (b.optional ? "（任意）" : ""));
    label.htmlFor = id;
    body.append(label);
    let input;
    if (b.element.type === "plain_text_input" && b.element.multiline) input = el("textarea");
    else input = el("input");
    if (b.element.type === "plain_text_input" && b.element.multiline) input.rows = 4;
    if (b.element.type === "users_select") input.value = "U0DEVSUPPORT";
    input.id = id;
    input.dataset.action = b.element.action_id;
    if (b.element.placeholder) input.placeholder = b.element.placeholder.text;
    body.append(input);
    if (b.hint) body.append(el("p", "hint", b.hint.text));
  }
  modal.hidden = false;
}

async function refresh() {
  try {
    const res = await fetch("/dev/api/state?member=" + encodeURIComponent(member), { cache: "no-store" });
    const text = await res.text();
    if (text === last) return;
    last = text;
    state = JSON.parse(text);
    render(state);
  } catch (e) { /* the next poll tries again */ }
}

// --- Wiring.
$("member").addEventListener("change", (e) => {
  member = e.target.value;
  localStorage.setItem("tsunagu-dev-member", member);
  last = "";
  chatCount = -1;
  refresh();
});
$("follow").addEventListener("click", (e) => post("/dev/api/line/follow", { member }, e.target));
$("unfollow").addEventListener("click", (e) => post("/dev/api/line/unfollow", { member }, e.target));
$("send-code").addEventListener("click", (e) => {
  const me = state && state.members.find((m) => m.key === member);
  if (me) post("/dev/api/line/text", { member, text: me.code }, e.target);
});
$("compose").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("message").value;
  if (!text.trim()) return;
  $("message").value = "";
  post("/dev/api/line/text", { member, text });
});
$("command").addEventListener("submit", (e) => {
  e.preventDefault();
  post("/dev/api/slack/command", { text: $("command-text").value }, e.submitter);
});
for (const b of document.querySelectorAll("[data-move]")) {
  b.addEventListener("click", async () => {
    for (const x of document.querySelectorAll("[data-move]")) x.disabled = true;
    try { await post("/dev/api/clock", { move: b.dataset.move, member }); }
    finally { for (const x of document.querySelectorAll("[data-move]")) x.disabled = false; }
  });
}
$("modal-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const values = {};
  for (const i of $("modal-body").querySelectorAll("[data-action]")) if (i.value !== "") values[i.dataset.action] = i.value;
  const out = await post("/dev/api/slack/submit", { view: shownView, values }, $("modal-submit"));
  if (out.answer && out.answer.includes('"errors"')) {
    const err = $("modal-error");
    try { err.textContent = Object.values(JSON.parse(out.answer).errors).join(" / "); } catch (x) { err.textContent = out.answer; }
    err.hidden = false;
  }
});
$("modal-close").addEventListener("click", () => post("/dev/api/slack/close", { view: shownView }));

refresh();
setInterval(refresh, 700);
