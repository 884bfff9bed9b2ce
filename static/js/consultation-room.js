// The room of an online consultation (TEL-2, SCH-3), on the patient's and the clinician's pages alike
// (templates/consultations/room.html). It keeps one socket to the server (/ws/consultations/): says hello with its
// token and the last chat message it has, reconnects with backoff (refreshing the short-lived token), shows the chat
// in order exactly once and resends what the server has not acknowledged under the same id (the server stores a
// message once per id). Voice and video go browser to browser (WebRTC), signalled over the same socket with
// "perfect negotiation": the patient's side is the polite one. window.carenetRoom serves the browser tests.
(function () {
  "use strict";
  var root = document.getElementById("consultation-room");
  if (!root || !window.WebSocket) { return; }
  var stringsNode = document.getElementById("consultation-room-strings");
  var T = stringsNode ? JSON.parse(stringsNode.textContent) : {};
  var data = root.dataset;
  var side = data.side;
  var mode = data.mode;
  var status = data.status;
  var polite = side === "patient";
  var consultationId = data.consultationId;
  var token = data.token;
  var tokenAt = Date.now();
  var tokenSeconds = parseInt(data.tokenSeconds, 10) || 300;
  var el = function (id) { return document.getElementById(id); };
  var statusText = el("room-status");
  var peerText = el("room-peer");
  var callText = el("room-call");
  var list = el("room-messages");
  var form = el("room-form");
  var textInput = el("room-text");
  var formError = el("room-form-error");
  var remoteVideo = el("room-remote");
  var localVideo = el("room-local");
  var muteButton = el("room-mute");
  var cameraButton = el("room-camera");
  var hangupButton = el("room-hangup");

  function say(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_, name) {
      return values && values[name] !== undefined && values[name] !== null ? String(values[name]) : "";
    });
  }
  function show(node, text) { if (node && node.textContent !== text) { node.textContent = text; } }

  // --- The chat ---------------------------------------------------------------------------------------------------
  var bySeq = {};            // seq -> message, as the server numbered it
  var contiguous = 0;        // every message up to this seq is here: the "after" of the next hello
  var highest = 0;
  var pendingKey = "carenet-room-" + consultationId + "-pending";
  var pending = [];          // [{id, text}] sent (or to be sent) but not acknowledged yet
  try { pending = JSON.parse(window.sessionStorage.getItem(pendingKey) || "[]") || []; } catch (error) { pending = []; }
  function savePending() {
    try { window.sessionStorage.setItem(pendingKey, JSON.stringify(pending)); } catch (error) { /* private mode */ }
  }
  function newId() {
    var random = new Uint32Array(2);
    window.crypto.getRandomValues(random);
    return side.charAt(0) + "-" + Date.now().toString(36) + "-" + random[0].toString(36) + random[1].toString(36);
  }
  function timeOf(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) { return ""; }
    return date.toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
  }
  function bubble(message, isPending) {
    var item = document.createElement("li");
    var mine = message.side === side;
    item.className = "bubble " + (mine ? "mine" : "theirs") + (isPending ? " pending" : "");
    item.dataset.id = message.id;
    if (!isPending) { item.dataset.seq = String(message.seq); }
    var head = document.createElement("strong");
    head.textContent = mine ? T.you : message.author;
    item.appendChild(head);
    item.appendChild(document.createTextNode(" "));
    if (isPending) {
      var note = document.createElement("span");
      note.className = "muted";
      note.textContent = T.sending;
      item.appendChild(note);
    } else {
      var time = document.createElement("time");
      time.className = "muted";
      time.dateTime = message.at;
      time.textContent = timeOf(message.at);
      item.appendChild(time);
    }
    var body = document.createElement("div");
    body.textContent = message.text;
    item.appendChild(body);
    return item;
  }
  function renderPending(entry) {
    if (!list || list.querySelector('li.pending[data-id="' + CSS.escape(entry.id) + '"]')) { return; }
    list.appendChild(bubble({ id: entry.id, side: side, text: entry.text }, true));
  }
  function receiveChat(message) {
    if (typeof message.seq !== "number" || bySeq[message.seq]) { return; }   // once, whatever arrives twice
    bySeq[message.seq] = message;
    highest = Math.max(highest, message.seq);
    while (bySeq[contiguous + 1]) { contiguous += 1; }
    if (message.side === side) {
      var before = pending.length;
      pending = pending.filter(function (entry) { return entry.id !== message.id; });
      if (pending.length !== before) { savePending(); }
      var waiting = list && list.querySelector('li.pending[data-id="' + CSS.escape(String(message.id)) + '"]');
      if (waiting) { waiting.remove(); }
    }
    if (!list) { return; }
    var item = bubble(message, false);
    var next = null;
    var children = list.children;
    for (var index = 0; index < children.length; index += 1) {
      var child = children[index];
      if (child.classList.contains("pending") || Number(child.dataset.seq) > message.seq) { next = child; break; }
    }
    list.insertBefore(item, next);
    if (highest > contiguous) { scheduleCatchUp(); }
  }
  var catchUpTimer = null;
  function scheduleCatchUp() {
    // A message is missing between two that arrived (the channel layer is best-effort): ask again from the gap.
    if (catchUpTimer) { return; }
    catchUpTimer = window.setTimeout(function () {
      catchUpTimer = null;
      if (highest > contiguous && socket) { socket.close(); }
    }, 3000);
  }
  var resendTimer = null;
  function chatRefused(error) {
    // A refused chat message names its id: too fast — sent again in a moment; otherwise it never will be.
    if (typeof error.id !== "string") { return; }
    if (error.code === "too_fast") {
      if (!resendTimer) { resendTimer = window.setTimeout(function () { resendTimer = null; sendPending(); }, 3000); }
      return;
    }
    var entry = pending.filter(function (item) { return item.id === error.id; })[0];
    if (!entry) { return; }
    pending = pending.filter(function (item) { return item.id !== error.id; });
    savePending();
    var item = list && list.querySelector('li.pending[data-id="' + CSS.escape(error.id) + '"]');
    if (item) {
      item.classList.remove("pending");
      item.classList.add("failed");
      var note = item.querySelector("span.muted");
      if (note) { note.textContent = T.not_sent; }
    }
    if (formError && error.message) { formError.hidden = false; show(formError, String(error.message)); }
  }
  function sendPending() {
    pending.forEach(function (entry) { send({ type: "chat", id: entry.id, text: entry.text }); });
  }
  if (form) {
    pending.forEach(renderPending);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = textInput.value.trim();
      var problem = !text ? T.empty : Array.from(text).length > 2000 ? T.too_long : "";
      formError.hidden = !problem;
      show(formError, problem);
      if (problem) { textInput.focus(); return; }
      var entry = { id: newId(), text: text };
      pending.push(entry);
      savePending();
      renderPending(entry);
      textInput.value = "";
      if (welcomed) { send({ type: "chat", id: entry.id, text: entry.text }); }
    });
    textInput.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
    });
  }

  // --- The state: position in the queue, taken, ended ---------------------------------------------------------------
  function applyState(state) {
    if (!state || typeof state.status !== "string") { return; }
    if (state.status !== status) {
      // Waiting → in progress → ended: the page itself changes (the room opens, the summary and survey follow).
      stopMedia();
      closed = true;
      window.location.reload();
      return;
    }
    if (status === "waiting") {
      show(statusText, state.position ? say(state.wait_minutes !== null && state.wait_minutes !== undefined
        ? T.waiting : T.waiting_unknown, { position: state.position, minutes: state.wait_minutes }) : T.connected);
    } else if (status === "in_progress") {
      show(statusText, state.clinician && side === "patient" ? say(T.in_progress_with, state) : T.in_progress);
    } else if (status === "ended") {
      show(statusText, T.ended);
    } else if (status === "left") {
      show(statusText, T.left);
    }
  }

  // --- The socket -----------------------------------------------------------------------------------------------
  var socket = null;
  var welcomed = false;
  var closed = false;        // for good: the page is going away, or the room is refused
  var attempts = 0;
  var refusedInARow = 0;
  var reconnectTimer = null;
  var pingTimer = null;
  var pongDeadline = null;
  var everWelcomed = false;
  var iceServers = [];

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(message)); return true; }
    return false;
  }
  function csrfToken() {
    if (data.csrf) { return data.csrf; }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function refreshToken() {
    return fetch(data.tokenUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    }).then(function (response) {
      if (response.status === 403 || response.status === 404) { return "refused"; }
      if (!response.ok) { return "later"; }
      return response.json().then(function (body) {
        if (typeof body.token !== "string") { return "later"; }
        token = body.token;
        tokenAt = Date.now();
        return "fresh";
      });
    }, function () { return "later"; });
  }
  function stop(text) {
    closed = true;
    show(statusText, text);
    stopMedia();
  }
  function connect(forceRefresh) {
    reconnectTimer = null;
    if (closed) { return; }
    var stale = Date.now() - tokenAt > Math.max(5, tokenSeconds - 30) * 1000;
    if ((forceRefresh || stale) && data.tokenUrl) {
      refreshToken().then(function (outcome) {
        if (outcome === "refused") { stop(T.refused); return; }
        if (outcome === "later" && stale) { retry(); return; }
        open();
      });
      return;
    }
    open();
  }
  function open() {
    show(statusText, T.connecting);
    var url = (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + data.wsPath;
    var current = new WebSocket(url);
    socket = current;
    current.addEventListener("open", function () {
      current.send(JSON.stringify({ type: "hello", token: token, after: contiguous }));
    });
    current.addEventListener("message", function (event) {
      if (current !== socket) { return; }
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message && typeof message.type === "string") { handle(message); }
    });
    current.addEventListener("close", function (event) {
      if (current !== socket) { return; }
      socket = null;
      welcomed = false;
      window.clearInterval(pingTimer);
      window.clearTimeout(pongDeadline);
      peerPresent = false;
      resetCall();
      if (closed) { return; }
      if (event.code === 4404) { stop(T.gone); return; }
      if (event.code === 4403) {
        refusedInARow += 1;
        if (refusedInARow > 2) { stop(T.refused); return; }
      }
      retry(event.code === 4403 || event.code === 4401);
    });
  }
  function retry(refresh) {
    if (closed || reconnectTimer) { return; }
    var delay = Math.min(15000, 500 * Math.pow(2, attempts)) + Math.floor(Math.random() * 250);
    attempts += 1;
    show(statusText, say(T.reconnecting, { seconds: Math.ceil(delay / 1000) }));
    reconnectTimer = window.setTimeout(function () { connect(refresh); }, delay);
  }
  function handle(message) {
    switch (message.type) {
      case "welcome":
        welcomed = true;
        attempts = 0;
        refusedInARow = 0;
        iceServers = Array.isArray(message.ice_servers) ? message.ice_servers : [];
        show(statusText, T.connected);
        show(peerText, peerText_());   // until the other side is announced
        applyState(message.state);
        if (closed) { return; }
        if (everWelcomed) { resetCall(); }   // the other side starts afresh too when it sees us come back
        everWelcomed = true;
        sendPending();
        keepAlive();
        break;
      case "chat":
        receiveChat(message);
        break;
      case "state":
        applyState(message);
        break;
      case "peer":
        if (message.side !== side) { peerChanged(message.present === true); }
        break;
      case "signal":
        if (message.from !== side && message.data && typeof message.data === "object") { onSignal(message.data); }
        break;
      case "error":
        chatRefused(message);
        break;
      case "pong":
        window.clearTimeout(pongDeadline);
        break;
      default:
        break;
    }
  }
  function keepAlive() {
    window.clearInterval(pingTimer);
    pingTimer = window.setInterval(function () {
      if (!send({ type: "ping" })) { return; }
      window.clearTimeout(pongDeadline);
      var current = socket;
      pongDeadline = window.setTimeout(function () { if (current === socket && current) { current.close(); } }, 10000);
    }, 25000);
  }

  // --- The call (WebRTC) ------------------------------------------------------------------------------------------
  var media = mode === "voice" || mode === "video";
  var peerPresent = false;
  var hungUp = false;
  var pc = null;
  var localStream = null;
  var makingOffer = false;
  var ignoreOffer = false;
  var chain = Promise.resolve();   // media and signalling steps, one after another
  function queue(step) {
    chain = chain.then(step).catch(function (error) { window.console.warn("consultation room:", error); });
    return chain;
  }
  function peerText_() {
    var who = side === "patient" ? "clinician" : "patient";
    return T["peer_" + who + (peerPresent ? "_here" : "_away")];
  }
  function peerChanged(present) {
    var was = peerPresent;
    peerPresent = present;
    show(peerText, peerText_());
    if (!media) { return; }
    if (!present) { resetCall(); }
    if (present) { maybeStartCall(); } else if (!hungUp) { show(callText, T.call_waiting); }
  }
  function canCall() { return media && status === "in_progress" && welcomed && !hungUp && !closed; }
  function maybeStartCall() {
    if (!canCall() || !peerPresent) { return; }
    queue(function () {
      if (pc || !canCall() || !peerPresent) { return null; }
      return startMedia().then(createPeer);
    });
  }
  function startMedia() {
    if (localStream) { return Promise.resolve(localStream); }
    show(callText, mode === "video" ? T.media_starting : T.media_starting_audio);
    var constraints = { audio: true, video: mode === "video" ? { width: { ideal: 640 }, height: { ideal: 480 } } : false };
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { show(callText, T.media_refused); return Promise.resolve(null); }
    return navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
      if (hungUp || closed) { stream.getTracks().forEach(function (track) { track.stop(); }); return null; }
      localStream = stream;
      if (localVideo) { localVideo.srcObject = stream; }
      updateControls();
      return stream;
    }, function () {
      show(callText, T.media_refused);
      return null;   // the call still receives the other side's sound and picture
    });
  }
  function createPeer() {
    if (pc) { return pc; }
    var connection = new RTCPeerConnection({ iceServers: iceServers });
    pc = connection;
    makingOffer = false;
    ignoreOffer = false;
    connection.addEventListener("track", function (event) {
      if (connection !== pc || !remoteVideo) { return; }
      var stream = event.streams && event.streams[0];
      if (!stream) {
        stream = remoteVideo.srcObject instanceof MediaStream ? remoteVideo.srcObject : new MediaStream();
        stream.addTrack(event.track);
      }
      if (remoteVideo.srcObject !== stream) { remoteVideo.srcObject = stream; }
      var playing = remoteVideo.play();
      if (playing && playing.catch) { playing.catch(function () { /* autoplay waits for a click */ }); }
    });
    connection.addEventListener("icecandidate", function (event) {
      if (connection === pc && event.candidate) { send({ type: "signal", data: { candidate: event.candidate.toJSON() } }); }
    });
    connection.addEventListener("negotiationneeded", function () {
      if (connection !== pc) { return; }
      makingOffer = true;
      connection.setLocalDescription().then(function () {
        if (connection === pc) { send({ type: "signal", data: { description: plain(connection.localDescription) } }); }
      }).catch(function (error) { window.console.warn("consultation room:", error); }).then(function () { makingOffer = false; });
    });
    connection.addEventListener("connectionstatechange", function () {
      if (connection !== pc) { return; }
      var state = connection.connectionState;
      if (state === "connected") { show(callText, T.call_connected); }
      else if (state === "connecting" || state === "new") { show(callText, T.call_connecting); }
      else if (state === "disconnected") { show(callText, T.call_lost); }
      else if (state === "failed") {
        show(callText, T.call_lost);
        resetCall();
        maybeStartCall();
      }
    });
    show(callText, T.call_connecting);
    if (localStream) {
      localStream.getTracks().forEach(function (track) { connection.addTrack(track, localStream); });
    } else {
      connection.addTransceiver("audio", { direction: "recvonly" });
      if (mode === "video") { connection.addTransceiver("video", { direction: "recvonly" }); }
    }
    return connection;
  }
  function plain(description) { return { type: description.type, sdp: description.sdp }; }
  function onSignal(signal) {
    if (!media) { return; }
    queue(function () {
      var description = signal.description;
      if (description && typeof description === "object") {
        if (!pc) {
          if (description.type !== "offer" || !canCall()) { return null; }
          return startMedia().then(createPeer).then(function () { return applyDescription(description, true); });
        }
        return applyDescription(description, true);
      }
      if (signal.candidate && typeof signal.candidate === "object" && pc) {
        return pc.addIceCandidate(signal.candidate).catch(function (error) {
          if (!ignoreOffer) { window.console.warn("consultation room: candidate", error); }
        });
      }
      return null;
    });
  }
  function applyDescription(description, mayRestart) {
    var connection = pc;
    var offerCollision = description.type === "offer" && (makingOffer || connection.signalingState !== "stable");
    ignoreOffer = !polite && offerCollision;
    if (ignoreOffer) { return null; }
    return connection.setRemoteDescription(description).then(function () {
      if (description.type !== "offer") { return null; }
      return connection.setLocalDescription().then(function () {
        send({ type: "signal", data: { description: plain(connection.localDescription) } });
      });
    }, function (error) {
      // An offer from a call the other side started afresh (a reload, a new connection): start afresh as well.
      if (!mayRestart || description.type !== "offer" || !canCall()) { throw error; }
      resetCall();
      return startMedia().then(createPeer).then(function () { return applyDescription(description, false); });
    });
  }
  function resetCall() {
    if (pc) {
      var connection = pc;
      pc = null;
      connection.close();
    }
    makingOffer = false;
    ignoreOffer = false;
    if (remoteVideo) { remoteVideo.srcObject = null; }
  }
  function stopMedia() {
    resetCall();
    if (localStream) { localStream.getTracks().forEach(function (track) { track.stop(); }); }
    localStream = null;
    if (localVideo) { localVideo.srcObject = null; }
    updateControls();
  }
  function setPressed(button, pressed, textOn, textOff) {
    if (!button) { return; }
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    show(button, pressed ? textOn : textOff);
  }
  function track(kind) { return localStream ? localStream.getTracks().filter(function (t) { return t.kind === kind; })[0] : null; }
  function updateControls() {
    var audio = track("audio");
    var video = track("video");
    if (muteButton) { muteButton.disabled = !audio; setPressed(muteButton, audio && !audio.enabled, T.unmute, T.mute); }
    if (cameraButton) { cameraButton.disabled = !video; setPressed(cameraButton, video && !video.enabled, T.camera_on, T.camera_off); }
    if (hangupButton) { show(hangupButton, hungUp ? T.rejoin : T.hang_up); hangupButton.classList.toggle("danger", !hungUp); }
  }
  if (muteButton) {
    muteButton.addEventListener("click", function () { var audio = track("audio"); if (audio) { audio.enabled = !audio.enabled; } updateControls(); });
  }
  if (cameraButton) {
    cameraButton.addEventListener("click", function () { var video = track("video"); if (video) { video.enabled = !video.enabled; } updateControls(); });
  }
  if (hangupButton) {
    hangupButton.addEventListener("click", function () {
      if (hungUp) {
        hungUp = false;
        updateControls();
        show(callText, peerPresent ? T.call_connecting : T.call_waiting);
        maybeStartCall();
        return;
      }
      hungUp = true;
      stopMedia();
      show(callText, T.call_ended);
    });
  }
  updateControls();

  window.addEventListener("pagehide", function () { closed = true; stopMedia(); if (socket) { socket.close(1000); } });
  // Back to a page the browser kept (back/forward cache): its room was closed on the way out; load it afresh.
  window.addEventListener("pageshow", function (event) { if (event.persisted) { window.location.reload(); } });

  // --- For the browser tests ------------------------------------------------------------------------------------
  window.carenetRoom = {
    stats: function () {
      var result = { inbound: 0, outbound: 0, state: pc ? pc.connectionState : "none" };
      if (!pc) { return Promise.resolve(result); }
      return pc.getStats().then(function (report) {
        report.forEach(function (entry) {
          if (entry.type === "inbound-rtp") { result.inbound += entry.bytesReceived || 0; }
          if (entry.type === "outbound-rtp") { result.outbound += entry.bytesSent || 0; }
        });
        return result;
      });
    },
    dropSocket: function () { if (socket) { socket.close(); } },
    messages: function () {
      return Array.prototype.map.call(list ? list.children : [], function (item) {
        return {
          seq: item.dataset.seq ? Number(item.dataset.seq) : null,
          id: item.dataset.id,
          text: item.querySelector("div") ? item.querySelector("div").textContent : "",
          pending: item.classList.contains("pending"),
        };
      });
    },
    connected: function () { return welcomed; },
  };

  if (status === "waiting" || status === "in_progress") { connect(false); } else { applyState({ status: status }); }
})();
