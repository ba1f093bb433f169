// A WebSocket that reconnects with backoff and re-syncs from the database on every (re)connect:
// the channel layer may drop messages, so what the page shows always comes back to the truth.
window.LiveSocket = function (path, { onEvent, resync, statusEl }) {
  let delay = 500;
  let socket = null;
  const setStatus = (text, live) => {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.classList.toggle("on", live);
  };
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${path}`);
    socket.addEventListener("open", () => {
      delay = 500;
      setStatus("live", true);
      resync();
    });
    socket.addEventListener("message", (message) => onEvent(JSON.parse(message.data)));
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
  return { get socket() { return socket; } };
};

window.stateBadge = function (status, label) {
  const badge = document.createElement("span");
  badge.className = `state state-${status}`;
  badge.textContent = label;
  return badge;
};
