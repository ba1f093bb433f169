// Enrolment photos from the browser's camera: capture a frame, upload it like a file, show the verdict.
(function () {
  const root = document.getElementById("camera-capture");
  if (!root) return;
  const video = document.getElementById("capture-video");
  const start = document.getElementById("capture-start");
  const take = document.getElementById("capture-take");
  const status = document.getElementById("capture-status");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;

  start.addEventListener("click", async () => {
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } });
      video.hidden = false;
      take.disabled = false;
      start.disabled = true;
    } catch (error) {
      status.textContent = "The camera could not be opened: " + error.message;
    }
  });

  take.addEventListener("click", () => {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(async (blob) => {
      const body = new FormData();
      body.append("photos", blob, "camera.jpg");
      status.textContent = "Checking the photo…";
      const response = await fetch(root.dataset.uploadUrl, {
        method: "POST", body, headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      });
      const result = (await response.json()).results[0];
      status.textContent = result.accepted ? "Accepted. Reload to see it among the photos." : result.message;
    }, "image/jpeg", 0.9);
  });
})();
