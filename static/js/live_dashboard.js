// The admin dashboard: today's sessions with live counts and a stream of check-ins.
(function () {
  const root = document.getElementById("today");
  if (!root || !root.dataset.socket) return;
  const sessions = document.querySelector("#today-sessions tbody");
  const feed = document.getElementById("check-ins");
  const MAX_FEED = 30;

  function feedItem(event) {
    const item = document.createElement("li");
    item.dataset.student = event.student;
    item.dataset.session = event.session;
    const time = document.createElement("time");
    time.textContent = new Date(event.updated_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    const name = document.createElement("strong");
    name.textContent = event.name;
    const source = document.createElement("small");
    source.className = "muted";
    source.textContent = event.source;
    item.append(time, " ", name, ` · ${event.class} · `, stateBadge(event.status, event.status_label), " ", source);
    return item;
  }

  function sessionRow(session) {
    let row = sessions.querySelector(`tr[data-session="${session.session}"]`);
    if (row) return row;
    sessions.querySelector("tr.empty")?.remove();
    row = document.createElement("tr");
    row.dataset.session = session.session;
    const link = document.createElement("a");
    link.href = `/sessions/${session.session}/`;
    link.textContent = session.class;
    const cells = ["", "", "present", "late", "absent", ""].map((count) => {
      const cell = document.createElement("td");
      if (count) { cell.dataset.count = count; cell.textContent = "0"; }
      return cell;
    });
    cells[0].append(link);
    row.append(...cells);
    sessions.prepend(row);
    return row;
  }

  async function resync(signal) {
    const response = await fetch(root.dataset.stateUrl, { headers: { Accept: "application/json" }, signal });
    if (!response.ok) return;
    const state = await response.json();
    for (const session of state.sessions) {
      const row = sessionRow(session);
      row.cells[1].textContent = new Date(session.opened_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      for (const [name, value] of Object.entries(session.counts)) {
        const cell = row.querySelector(`[data-count="${name}"]`);
        if (cell) cell.textContent = value;
      }
    }
    feed.replaceChildren(...(state.check_ins.length ? state.check_ins.map(feedItem) : [feed.querySelector(".empty") || document.createElement("li")]));
  }

  let pending = null;
  function onEvent(event) {
    if (event.type !== "attendance" && event.type !== "session") return;
    if (event.type === "attendance") {
      feed.querySelector(".empty")?.remove();
      feed.querySelector(`li[data-student="${event.student}"][data-session="${event.session}"]`)?.remove();
      feed.prepend(feedItem(event));
      while (feed.children.length > MAX_FEED) feed.lastElementChild.remove();
    }
    // Counts come from the database, batched: a burst of check-ins costs one request.
    clearTimeout(pending);
    pending = setTimeout(() => live.sync(), 300);
  }

  const live = LiveSocket(root.dataset.socket, { onEvent, resync, statusEl: root.querySelector("[data-live-status]") });
})();
