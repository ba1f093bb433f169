// Draws the charts of a report page from the data the server put in <script id="report-charts">.
// Each <canvas data-chart="KEY"> gets the chart stored under KEY: a line over time or bars by
// class, attendance rate in percent. Chart.js is served from static/vendor/chartjs (never a CDN).
(function () {
  const source = document.getElementById("report-charts");
  if (!source || typeof window.Chart === "undefined") return;
  const charts = JSON.parse(source.textContent);
  const accent = getComputedStyle(document.documentElement).getPropertyValue("--app-accent").trim() || "#1f6feb";

  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const spec = charts[canvas.dataset.chart];
    if (!spec) return;
    new window.Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: [{
          label: spec.title,
          data: spec.values,
          borderColor: accent,
          backgroundColor: spec.type === "bar" ? accent + "99" : accent,
          spanGaps: true,
          tension: 0.2,
        }],
      },
      options: {
        animation: false,
        responsive: true,
        scales: { y: { min: 0, max: 100, ticks: { callback: (value) => value + "%" } } },
        plugins: { title: { display: true, text: spec.title }, legend: { display: false } },
      },
    });
  });
})();
