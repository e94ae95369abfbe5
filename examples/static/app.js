// fedi-hub demo page: plain JavaScript, no build step. It logs in with a bearer token, opens
// the browser's own WebSocket to the Bus (and, when the hub offers ActivityPub C2S, an
// EventSource on the inbox stream), posts notes, and shows events, presence and typing live.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { token: null, me: null, bus: null, inbox: null, outbox: null, people: new Map(), typing: new Map() };

function readToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get("token");
  if (token) {
    sessionStorage.setItem("fedi-hub-token", token);
    history.replaceState(null, "", location.pathname);
    return token;
  }
  return sessionStorage.getItem("fedi-hub-token");
}

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${state.token}` }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (!response.ok) {
    const text = await response.text();
    throw new Error(`${response.status} ${text}`);
  }
  return response;
}

function setStatus(id, text, cls) {
  const el = $(id);
  el.textContent = text;
  el.className = `state ${cls}`;
}

function addEvent(via, type, text) {
  const li = document.createElement("li");
  li.dataset.via = via;
  li.dataset.type = type;
  const tag = document.createElement("span");
  tag.className = "via";
  tag.textContent = via;
  li.append(tag, ` ${type}: ${text}`);
  $("events").prepend(li);
}

function renderPeople() {
  const list = $("people");
  list.replaceChildren();
  for (const [name, status] of state.people) {
    const li = document.createElement("li");
    li.dataset.user = name;
    li.className = `presence-${status}`;
    li.textContent = `${name}: ${status}`;
    list.append(li);
  }
  const typing = [...state.typing.keys()];
  $("typing").textContent = typing.length ? `${typing.join(", ")} ${typing.length > 1 ? "are" : "is"} typing…` : "";
}

// ---- The Bus (WebSocket) ----

let busRetry = 1000;
function connectBus(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}${path}?token=${encodeURIComponent(state.token)}`);
  state.bus = ws;
  setStatus("bus-status", "connecting", "closed");
  ws.onopen = () => {
    busRetry = 1000;
    ws.send(JSON.stringify({ type: "subscribe", events: ["action", "presence", "typing", "message", "notification"] }));
  };
  ws.onmessage = (event) => onBusMessage(JSON.parse(event.data));
  ws.onclose = (event) => {
    setStatus("bus-status", `closed (${event.code})`, "closed");
    if (event.code === 4401) return; // bad token: reconnecting would not help
    setTimeout(() => connectBus(path), busRetry * (0.5 + Math.random()));
    busRetry = Math.min(busRetry * 2, 60000);
  };
}

function onBusMessage(m) {
  switch (m.type) {
    case "welcome":
      setStatus("bus-status", "open", "open");
      addEvent("bus", "welcome", `session ${m.session_id} as ${m.user}`);
      break;
    case "action":
      addEvent("bus", "action", `${m.action_type} by ${m.issuer}${m.content ? `: ${m.content}` : ""}`);
      break;
    case "message":
      addEvent("bus", "message", `from ${m.sender}: ${m.preview}`);
      break;
    case "notification":
      addEvent("bus", "notification", `${m.notification_type} from ${m.from}: ${m.message}`);
      break;
    case "presence":
      state.people.set(m.user, m.status);
      renderPeople();
      addEvent("bus", "presence", `${m.user} is ${m.status}`);
      break;
    case "typing": {
      clearTimeout(state.typing.get(m.user));
      state.typing.set(m.user, setTimeout(() => { state.typing.delete(m.user); renderPeople(); }, 5000));
      renderPeople();
      break;
    }
    case "error":
      addEvent("bus", "error", `${m.code}: ${m.message}`);
      break;
    default:
      break;
  }
}

let lastTyping = 0;
function sendTyping() {
  const to = $("recipient").value;
  if (!to || !state.bus || state.bus.readyState !== WebSocket.OPEN) return;
  const now = Date.now();
  if (now - lastTyping < 1000) return;
  lastTyping = now;
  state.bus.send(JSON.stringify({ type: "typing", recipient: to, conversation_id: `dm:${[state.me, to].sort().join(":")}` }));
}

setInterval(() => {
  if (state.bus && state.bus.readyState === WebSocket.OPEN) state.bus.send(JSON.stringify({ type: "ping" }));
}, 30000);

// ---- ActivityPub C2S (when the hub offers it) ----

function connectInbox(url) {
  const es = new EventSource(`${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(state.token)}`);
  state.inbox = es;
  setStatus("sse-status", "connecting", "closed");
  es.onopen = () => setStatus("sse-status", "open", "open");
  es.onerror = () => setStatus("sse-status", es.readyState === EventSource.CLOSED ? "closed" : "reconnecting", "closed");
  const show = (kind) => (event) => {
    let text = event.data;
    try {
      const activity = JSON.parse(event.data);
      const object = activity.object && typeof activity.object === "object" ? activity.object : {};
      text = `${activity.type} by ${activity.actor}${object.content ? `: ${object.content}` : ""}`;
    } catch (_) { /* not JSON: show as is */ }
    addEvent("sse", kind, text);
  };
  es.addEventListener("inbox", show("inbox"));
  es.addEventListener("outbox", show("outbox"));
  es.onmessage = show("message");
}

async function postNote(content, to) {
  const note = { "@context": "https://www.w3.org/ns/activitystreams", type: "Note", content, to: [to] };
  const response = await api(state.outbox, {
    method: "POST",
    headers: { "Content-Type": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"' },
    body: JSON.stringify(note),
  });
  return response.headers.get("Location");
}

// ---- Start ----

async function start() {
  state.token = readToken();
  if (!state.token) {
    $("login").hidden = false;
    return;
  }
  let who;
  try {
    who = await (await api("/api/whoami")).json();
  } catch (e) {
    sessionStorage.removeItem("fedi-hub-token");
    $("login").hidden = false;
    $("login-error").textContent = `Login failed: ${e.message}`;
    return;
  }
  state.me = who.name;
  $("me").textContent = `logged in as ${who.name}`;
  $("app").hidden = false;
  for (const other of who.others) {
    state.people.set(other, "offline");
    const option = document.createElement("option");
    option.value = option.textContent = other;
    $("recipient").append(option);
  }
  const everyone = document.createElement("option");
  everyone.value = "https://www.w3.org/ns/activitystreams#Public";
  everyone.textContent = "everyone (public)";
  $("recipient").append(everyone);
  renderPeople();
  connectBus(who.bus);
  if (who.actor) {
    state.outbox = who.outbox;
    if (who.inbox_stream) connectInbox(who.inbox_stream);
  } else {
    $("post").disabled = true;
    $("post-status").textContent = "posting needs the hub's ActivityPub C2S endpoint";
  }
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  location.hash = `token=${encodeURIComponent($("token-input").value.trim())}`;
  $("login").hidden = true;
  start();
});

$("note").addEventListener("input", sendTyping);

$("compose").addEventListener("submit", async (event) => {
  event.preventDefault();
  const content = $("note").value.trim();
  if (!content || !state.outbox) return;
  const recipient = $("recipient").value;
  const to = recipient.startsWith("https://") ? recipient : `${location.origin}/users/${recipient}`;
  try {
    const location_ = await postNote(content, to);
    $("post-status").textContent = `posted: ${location_}`;
    $("note").value = "";
  } catch (e) {
    $("post-status").textContent = `post failed: ${e.message}`;
  }
});

start();
