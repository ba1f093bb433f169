// Keeps the model page current without reloading: polls the status while a build may be running.
(function () {
  const box = document.getElementById("model-status");
  if (!box) return;
  const url = box.dataset.statusUrl;
  const set = (name, value) => {
    document.querySelectorAll(`[data-field="${name}"]`).forEach((el) => { el.textContent = value; });
  };
  let wasBuilding = !document.getElementById("build-progress").classList.contains("hidden");

  async function refresh() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const status = await response.json();
      const serving = status.serving;
      set("version", serving ? serving.version : "—");
      set("students", serving ? serving.students : 0);
      set("photos", serving ? serving.photos : 0);
      set("duration", serving && serving.duration_ms !== null ? `${serving.duration_ms} ms` : "—");
      const progress = document.getElementById("build-progress");
      const building = status.building;
      progress.classList.toggle("hidden", !building);
      if (building) {
        set("building-version", building.version);
        set("building-counts", `${building.embedded} / ${building.to_embed}`);
        const bar = progress.querySelector("progress");
        bar.max = Math.max(building.to_embed, 1);
        bar.value = building.embedded;
      }
      const failure = document.getElementById("build-error");
      failure.classList.toggle("hidden", !status.last_failed);
      if (status.last_failed) set("error", status.last_failed.error);
      wasBuilding = Boolean(building) || status.pending_requests > 0;
    } catch (error) {
      // The next tick tries again; a dropped request must not stop the page.
    }
  }
  setInterval(() => { if (wasBuilding || document.visibilityState === "visible") refresh(); }, 2000);
})();
