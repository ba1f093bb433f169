// A WebSocket that reconnects with backoff and re-syncs from the database on every (re)connect:
// the channel layer may drop messages, so what the page shows always comes back to the truth.
//
// The re-read starts at the consumer's "hello", sent once it has joined its group, so a check-in
// committed after the read always arrives as an event. A re-read may still answer with the state
// of a moment ago after a newer event was shown: an event that arrives while one is in flight
// asks for another once it is applied, and re-reads never overlap, so the newest is applied last.
// Pages re-read through `sync()`, never by calling their `resync(signal)` themselves; a new
// connection aborts a re-read begun before the drop (it may never answer).
window.LiveSocket = function (path, { onEvent, resync, statusEl }) {
  let delay = 500;
  let socket = null;
  let syncing = null;
  let again = false;
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
        controller = new AbortController();
        try {
          await resync(controller.signal);
        } catch (error) {
          // Aborted, or the server went away mid-read: the next connection reads again.
        }
      } while (again && syncing === run);
      if (syncing === run) syncing = null;
    })();
    syncing = run;
    return run;
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${path}`);
    socket.addEventListener("open", () => {
      delay = 500;
    });
    socket.addEventListener("message", (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "hello") {
        setStatus("live", true);
        sync({ restart: true });
        return;
      }
      if (syncing) again = true;
      onEvent(event);
    });
    socket.addEventListener("close", (event) => {
      setStatus("reconnecting…", false);
      if (event.code >= 4400 && event.code < 4500) {
        setStatus("not allowed", false);
        return; // refused: retrying would not help
      }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
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
