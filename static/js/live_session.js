// The teacher's session page: roster states and counts follow every mark as it happens.
(function () {
  const roster = document.getElementById("roster");
  if (!roster || !roster.dataset.socket) return;

  function showRecord(record) {
    const row = roster.querySelector(`tr[data-student="${record.student}"]`);
    if (!row) return false;
    row.dataset.state = record.status;
    const cell = row.querySelector("[data-state-cell]");
    const parts = [stateBadge(record.status, record.status_label)];
    if (record.first_seen_at) {
      const time = document.createElement("small");
      time.className = "muted";
      time.textContent = " " + new Date(record.first_seen_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      parts.push(time);
    }
    cell.replaceChildren(...parts);
    row.querySelectorAll("button[name=status]").forEach((button) => {
      const pressed = button.value === record.status;
      button.classList.toggle("secondary", !pressed);
      button.classList.toggle("outline", !pressed);
      button.toggleAttribute("aria-pressed", pressed);
    });
    return true;
  }

  function showCounts(counts) {
    for (const [name, value] of Object.entries(counts)) {
      const figure = document.querySelector(`#session-counts [data-count="${name}"]`);
      if (figure) figure.textContent = value;
    }
  }

  async function resync(signal) {
    const response = await fetch(roster.dataset.stateUrl, { headers: { Accept: "application/json" }, signal });
    if (!response.ok) return;
    const state = await response.json();
    state.students.forEach(showRecord);
    showCounts(state.counts);
    if (state.status === "closed") document.body.classList.add("session-closed");
  }

  function onEvent(event) {
    if (event.type === "attendance") {
      if (!showRecord(event)) return live.sync(); // a student the page did not know: reload state
      const counts = {};
      roster.querySelectorAll("tr[data-state]").forEach((row) => {
        counts[row.dataset.state] = (counts[row.dataset.state] || 0) + 1;
      });
      for (const name of ["present", "late", "absent", "excused", "not_yet"]) counts[name] = counts[name] || 0;
      showCounts(counts);
      document.dispatchEvent(new CustomEvent("attendance", { detail: event }));
    } else if (event.type === "session") {
      live.sync();
    }
  }

  const live = LiveSocket(roster.dataset.socket, {
    onEvent, resync, statusEl: document.querySelector("[data-live-status]"),
  });
  window.liveSession = live;
})();
