// The import page while a roster imports in the background: polls the job's status every
// second, moves the progress bar, and reloads the page once the job has finished.
(function () {
  const root = document.getElementById("progress");
  if (!root || !root.dataset.statusUrl) return;
  const bar = root.querySelector("[data-import-progress]");
  const text = root.querySelector("[data-import-progress-text]");
  const label = document.querySelector("[data-import-status]");

  async function poll() {
    try {
      const response = await fetch(root.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const job = await response.json();
        bar.max = Math.max(job.total, 1);
        bar.value = job.done;
        text.textContent = `${job.done} of ${job.total} changes written.`;
        if (label) label.textContent = job.status_label;
        if (job.finished) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A dropped request: try again on the next tick.
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 500);
})();
