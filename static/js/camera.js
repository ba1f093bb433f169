// The teacher's camera: frames go to the server about twice a second; faces come back boxed
// and named, uncertain ones as "is this …?" questions. Nothing is stored in the browser.
//
// A connection that dies in silence (Wi-Fi gone, a NAT timeout) never closes: the frames pile up
// unsent (bufferedAmount stays above 0) and nothing comes back. Every analysed frame is answered,
// so quiet for PING_MS asks the server for a pong (a frozen camera's frames are skipped, not
// answered) and quiet for SILENT_MS abandons the socket and connects again, as a close would.
(function () {
  const panel = document.getElementById("camera-panel");
  if (!panel) return;
  const video = document.getElementById("camera-video");
  const overlay = document.getElementById("camera-overlay");
  const start = document.getElementById("camera-start");
  const stop = document.getElementById("camera-stop");
  const status = panel.querySelector("[data-camera-status]");
  const unknown = panel.querySelector("[data-unknown]");
  const suggestions = document.getElementById("suggestions");
  const grab = document.createElement("canvas");
  const FRAME_MS = 500;
  const PING_MS = 5000;
  const SILENT_MS = 10000;
  const COLOURS = { accept: "#1d8a4a", suggest: "#c98a00", unknown: "#b3261e" };
  let socket = null;
  let stream = null;
  let timer = null;
  let unknownTotal = 0;
  let heardAt = 0; // when the current socket last sent anything
  let pinged = false;

  const say = (text, live = false) => { status.textContent = text; status.classList.toggle("on", live); };

  function watch() {
    if (!socket || socket.readyState > WebSocket.OPEN) return; // a close is on its way
    const quiet = Date.now() - heardAt;
    if (quiet > SILENT_MS) {
      const dead = socket;
      socket = null; // its handlers now ignore it, a late "close" included
      dead.close(); // may not complete for minutes: not awaited
      say("reconnecting…");
      setTimeout(connect, 1000);
    } else if (quiet > PING_MS && !pinged && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "ping" }));
      pinged = true;
    }
  }

  function sendFrame() {
    if (!socket || socket.readyState !== WebSocket.OPEN || !video.videoWidth) return;
    if (socket.bufferedAmount > 0) return; // the network is behind: skip rather than queue
    grab.width = 640;
    grab.height = Math.round(640 * video.videoHeight / video.videoWidth);
    grab.getContext("2d").drawImage(video, 0, 0, grab.width, grab.height);
    grab.toBlob((blob) => blob && socket.readyState === WebSocket.OPEN && socket.send(blob), "image/jpeg", 0.8);
  }

  function drawFaces(frame) {
    overlay.width = video.clientWidth;
    overlay.height = video.clientHeight;
    const ctx = overlay.getContext("2d");
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    const sx = overlay.width / frame.width;
    const sy = overlay.height / frame.height;
    ctx.lineWidth = 3;
    ctx.font = "14px system-ui, sans-serif";
    for (const face of frame.faces) {
      const [x, y, w, h] = face.box;
      ctx.strokeStyle = ctx.fillStyle = COLOURS[face.decision] || COLOURS.unknown;
      ctx.strokeRect(x * sx, y * sy, w * sx, h * sy);
      const label = face.decision === "unknown" ? "?" : face.name + (face.decision === "suggest" ? "?" : "");
      // A filled tag above the box, so the name reads on any background.
      const tagWidth = ctx.measureText(label).width + 8;
      const tagY = Math.max(0, y * sy - 20);
      ctx.fillRect(x * sx - 1.5, tagY, tagWidth, 20);
      ctx.fillStyle = "#fff";
      ctx.fillText(label, x * sx + 3, tagY + 15);
    }
  }

  function ask(message) {
    suggestions.querySelector(".empty")?.remove();
    const item = document.createElement("li");
    item.dataset.student = message.student;
    item.append(`Is this ${message.name}? `);
    for (const [answer, text] of [["confirm", "Yes"], ["reject", "No"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = answer === "confirm" ? "small" : "small secondary outline";
      button.textContent = text;
      button.addEventListener("click", () => {
        socket?.send(JSON.stringify({ type: answer, student: message.student }));
        item.remove();
      });
      item.append(button, " ");
    }
    suggestions.prepend(item);
  }

  function onMessage(event) {
    if (event.target !== socket) return;
    heardAt = Date.now();
    pinged = false;
    const message = JSON.parse(event.data);
    if (message.type === "frame") {
      drawFaces(message);
      unknownTotal += message.unknown;
      unknown.textContent = unknownTotal;
    } else if (message.type === "suggest") {
      ask(message);
    } else if (message.type === "checked_in") {
      suggestions.querySelector(`li[data-student="${message.student}"]`)?.remove();
    } else if (message.type === "ready") {
      say(`watching · ${message.students} students can be recognised`, true);
    } else if (message.type === "error" || message.type === "frame_error") {
      say(message.message, false);
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}${panel.dataset.socket}`);
    socket = ws;
    heardAt = Date.now();
    pinged = false;
    ws.addEventListener("message", onMessage);
    ws.addEventListener("close", (event) => {
      if (ws !== socket || !stream) return;
      if (event.code >= 4400 && event.code < 4500) { stopCamera(false); return; }
      say("reconnecting…");
      setTimeout(connect, 1000);
    });
  }

  function stopCamera(clearStatus = true) {
    clearInterval(timer);
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    socket?.close();
    start.hidden = false;
    stop.hidden = true;
    if (clearStatus) say("camera off");
  }

  start.addEventListener("click", async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    } catch (error) {
      say(`The camera could not be opened: ${error.message}`);
      return;
    }
    video.srcObject = stream;
    start.hidden = true;
    stop.hidden = false;
    say("connecting…");
    connect();
    timer = setInterval(() => { watch(); sendFrame(); }, FRAME_MS);
  });
  stop.addEventListener("click", () => stopCamera());
})();
