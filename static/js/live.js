// A WebSocket that reconnects with backoff and re-syncs from the database on every (re)connect:
// the channel layer may drop messages, so what the page shows always comes back to the truth.
//
// The re-read starts at the consumer's "hello", sent once it has joined its group, so a check-in
// committed after the read always arrives as an event. A re-read may still answer with the state
// of a moment ago after a newer event was shown: an event that arrives while one is in flight
// asks for another once it is applied, and re-reads never overlap, so the newest is applied last.
// Pages re-read through `sync()`, never by calling their `resync(signal)` themselves; a new
// connection aborts a re-read begun before the drop (it may never answer).
//
// A connection can also die in silence (Wi-Fi gone, a NAT timeout, a proxy that stops
// forwarding): nothing closes it, so no "close" event comes for many minutes. A heartbeat pings
// every HEARTBEAT_MS; anything received is a sign of life; a ping unanswered within SILENCE_MS
// (or no "hello" within CONNECT_MS of opening) abandons the socket for a new one. An abandoned
// socket's handlers do nothing, so its late "close" cannot start a second reconnect. The drop
// leaves the browser's pooled HTTP connections silent too, and a re-read sent on one never
// answers: after READ_MS it is aborted (so that connection is dropped from the pool) and sent
// again, until one goes over a new connection.

window.LiveSocket = function (path, { onEvent, resync, statusEl }) {
  const HEARTBEAT_MS = window.LIVE_HEARTBEAT_MS || 15000;
  const SILENCE_MS = Math.min(5000, HEARTBEAT_MS);
  const CONNECT_MS = 10000;
  const READ_MS = SILENCE_MS; // each dead pooled connection costs a re-read this long
  let delay = 500;
  let socket = null;
  let syncing = null;
  let again = false;
  let heartbeat = null;
  let deadline = null; // set while a sign of life is awaited from the current socket
  const setStatus = (text, live) => {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.classList.toggle("on", live);
  };
  let controller = null;
  function sync({ restart = false } = {}) {
    if (syncing && !restart) {
      again = true;
      return syncing;
    }
    controller?.abort();
    const run = (async () => {
      do {
        again = false;
        const reading = new AbortController();
        controller = reading;
        const stuck = setTimeout(() => {
          again = true;
          reading.abort();
        }, READ_MS);
        try {
          await resync(reading.signal);
        } catch (error) {
          // Aborted, or the server went away mid-read: the next connection reads again.
        } finally {
          clearTimeout(stuck);
        }
      } while (again && syncing === run);
      if (syncing === run) syncing = null;
    })();
    syncing = run;
    return run;
  }
  function awaitLife(ws, ms) {
    deadline ??= setTimeout(() => lost(ws, { abandon: true }), ms);
  }
  function alive() {
    clearTimeout(deadline);
    deadline = null;
  }
  // The current socket is gone (closed, or silent too long): forget it and connect again.
  function lost(ws, { abandon = false, refused = false } = {}) {
    if (ws !== socket) return; // an abandoned socket's late event
    socket = null;
    alive();
    clearInterval(heartbeat);
    if (abandon) ws.close(); // its "close" may come minutes later, or never: not awaited
    if (refused) {
      setStatus("not allowed", false);
      return; // retrying would not help
    }
    setStatus("reconnecting…", false);
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 10000);
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}${path}`);
    socket = ws;
    awaitLife(ws, CONNECT_MS);
    heartbeat = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify({ type: "ping" }));
      awaitLife(ws, SILENCE_MS);
    }, HEARTBEAT_MS);
    ws.addEventListener("open", () => {
      if (ws === socket) delay = 500;
    });
    ws.addEventListener("message", (message) => {
      if (ws !== socket) return;
      alive();
      const event = JSON.parse(message.data);
      if (event.type === "pong") return;
      if (event.type === "hello") {
        setStatus("live", true);
        sync({ restart: true });
        return;
      }
      if (syncing) again = true;
      onEvent(event);
    });
    ws.addEventListener("close", (event) => {
      lost(ws, { refused: event.code >= 4400 && event.code < 4500 });
    });
  }
  connect();
  return { get socket() { return socket; }, sync };
};

window.stateBadge = function (status, label) {
  const badge = document.createElement("span");
  badge.className = `state state-${status}`;
  badge.textContent = label;
  return badge;
};
