// Lesson page: plays the media (HLS through hls.js where the browser lacks it, MP4 otherwise),
// resumes at the last position, and sends study heartbeats (position, playing, visible) to the
// server, which decides what they are worth (DESIGN §6.1). Beats that fail for lack of a
// network are queued with their client times and sent as one batch when the connection returns.
// Deferred like app.js but included before it: start once every deferred script has run.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  const root = document.getElementById("study");
  if (!root) return;
  const cfg = JSON.parse(root.getAttribute("data-config"));
  if (!cfg.ready) return;
  const statusEl = document.getElementById("study-status");
  const media = document.getElementById("media");
  const article = document.getElementById("article");
  const MAX_QUEUE = 240;
  let session = null, seq = 0, timer = null, queue = [], sending = false, closed = false, scrolled = 0;

  function round2(x) { return Math.round(x * 100) / 100; }
  function isVisible() { return document.visibilityState === "visible"; }
  function isPlaying() {
    if (media) return !media.paused && !media.ended && media.readyState > 2;
    return isVisible();
  }
  let lastTime = 0;  // the playback position before a seek began
  function position() {
    if (media) return Math.max(0, Math.min(media.seeking ? lastTime : media.currentTime || 0, cfg.lengthS || Infinity));
    return cfg.kind === "article" ? scrolled : 1;
  }
  function measureScroll() {
    if (!article) return;
    const rect = article.getBoundingClientRect();
    const seen = (window.innerHeight - rect.top) / Math.max(rect.height, 1);
    scrolled = Math.max(scrolled, Math.max(0, Math.min(1, seen)));
  }
  // A beat describes the interval since the previous one: was the media playing, was the page
  // visible all along? A change (pause, tab hidden) sends a beat first, then starts a new interval.
  let wasPlaying = false, wasVisible = isVisible();
  function beat() {
    seq += 1;
    const b = { position: round2(position()), playing: wasPlaying, visible: wasVisible, seq: seq, client_time: Date.now() };
    wasPlaying = isPlaying();
    wasVisible = isVisible();
    return b;
  }
  function say(text, cls) {
    statusEl.textContent = "";
    const span = document.createElement("span");
    if (cls) span.className = cls;
    span.textContent = text;
    statusEl.appendChild(span);
  }
  function show(result) {
    if (!result) return;
    if (!result.active) { say(cfg.text.other_tab, "badge warn"); return; }
    const total = Math.floor(result.lesson_credited || 0);
    let text = cfg.text.credited.replace("%(min)s", Math.floor(total / 60)).replace("%(sec)s", total % 60);
    if (result.completed) text = cfg.text.completed + " · " + text;
    say(text, result.completed ? "badge ok" : "");
    root.setAttribute("data-credited", String(result.session_credited));
  }
  function beatsUrl() { return "/api/v1/study/sessions/" + session.id + "/heartbeats"; }

  function flush() {
    if (!session || closed || sending || !queue.length) return;
    sending = true;
    const batch = queue.splice(0, MAX_QUEUE);
    const body = batch.length === 1 ? batch[0] : { beats: batch };
    window.pioneer.api(beatsUrl(), { method: "POST", json: body }).then(function (result) {
      sending = false;
      show(result);
      if (queue.length) flush();
    }).catch(function (err) {
      sending = false;
      if (err && err.status === 409) { closed = true; say(cfg.text.ended, "badge warn"); stop(); return; }
      if (err && err.status) return;  // refused: these beats are not worth retrying
      queue = batch.concat(queue).slice(-MAX_QUEUE);  // offline: keep them, newest last
      say(cfg.text.offline, "badge warn");
    });
  }
  function send() {
    if (!session || closed) return;
    measureScroll();
    queue.push(beat());
    flush();
  }
  function start(intervalS) {
    stop();
    timer = window.setInterval(send, intervalS * 1000);
  }
  function stop() { if (timer) { window.clearInterval(timer); timer = null; } }
  function end() {
    if (!session || closed) return;
    closed = true;
    stop();
    const last = beat();
    const headers = { "Content-Type": "application/json", "X-CSRFToken": window.pioneer.csrf, "Accept": "application/json" };
    const payload = queue.length ? null : last;  // unsent beats would be lost by a final beat: let the sweeper close
    if (!payload) return;
    fetch("/api/v1/study/sessions/" + session.id + "/end", { method: "POST", headers: headers, keepalive: true,
      credentials: "same-origin", body: JSON.stringify(payload) }).catch(function () {});
  }

  function attachSources() {
    const sources = cfg.sources || [];
    const hls = sources.filter(function (s) { return s.type === "application/vnd.apple.mpegurl"; })[0];
    const files = sources.filter(function (s) { return s.type !== "application/vnd.apple.mpegurl"; });
    if (hls && media.canPlayType("application/vnd.apple.mpegurl")) { media.src = hls.url; return; }
    if (hls && window.Hls && window.Hls.isSupported()) {
      const player = new window.Hls({ maxBufferLength: 30 });
      player.loadSource(hls.url);
      player.attachMedia(media);
      player.on(window.Hls.Events.ERROR, function (_e, data) {
        if (data.fatal && files.length) { player.destroy(); media.src = files[files.length > 1 ? 1 : 0].url; }
      });
      return;
    }
    // progressive MP4: the smaller rendition on a narrow screen, the best one otherwise
    const pick = files.length > 1 && window.innerWidth < 720 ? files[files.length - 1] : files[0];
    if (pick) media.src = pick.url;
  }

  function resumeAt(seconds) {
    if (!media || !seconds) return;
    lastTime = seconds;
    const apply = function () {
      if (seconds < (media.duration || cfg.lengthS) - 3) media.currentTime = seconds;
    };
    if (media.readyState >= 1) apply(); else media.addEventListener("loadedmetadata", apply, { once: true });
  }

  function open() {
    window.pioneer.api(cfg.sessionsUrl, { method: "POST", json: { lesson_id: cfg.lessonId } }).then(function (s) {
      session = s;
      root.setAttribute("data-session", String(s.id));
      if (media) resumeAt(s.position);
      start(s.heartbeat_interval);
    }).catch(function (err) { say(err.message || String(err), "badge bad"); });
  }

  if (media) {
    attachSources();
    const speed = document.getElementById("speed");
    if (speed) speed.addEventListener("change", function () {
      media.playbackRate = Math.min(2, Math.max(0.5, parseFloat(speed.value) || 1));
    });
    ["playing", "pause", "ended", "seeking"].forEach(function (name) { media.addEventListener(name, send); });
    media.addEventListener("timeupdate", function () { if (!media.seeking) lastTime = media.currentTime; });
    media.addEventListener("seeked", function () {
      lastTime = media.currentTime;
      wasPlaying = false;  // the jump itself is not play time
      send();
    });
  }
  if (article) {
    window.addEventListener("scroll", measureScroll, { passive: true });
    measureScroll();
  }
  document.addEventListener("visibilitychange", send);
  window.addEventListener("online", flush);
  window.addEventListener("pagehide", end);
  open();
});
