// Media library: chunked, resumable upload with a progress bar; live processing state over SSE (polling fallback).
(function () {
  "use strict";
  const FINAL = ["ready", "failed"];
  const list = document.getElementById("media-list");
  const form = document.getElementById("media-upload");
  if (!list || !form) return;

  function label(status) { return list.getAttribute("data-label-" + status) || status; }
  function badgeClass(status) {
    return { ready: "ok", failed: "bad", processing: "warn", uploaded: "warn" }[status] || "";
  }
  function clock(seconds) {
    const s = Math.round(seconds), m = Math.floor(s / 60);
    return m + ":" + String(s % 60).padStart(2, "0");
  }

  function render(item, state) {
    item.setAttribute("data-status", state.status);
    const badge = item.querySelector("[data-role=status]");
    badge.textContent = label(state.status);
    badge.className = "badge " + badgeClass(state.status);
    const bar = item.querySelector("[data-role=progress]");
    bar.hidden = !(state.status === "processing" || state.status === "uploaded" || state.status === "uploading");
    if (typeof state.progress === "number" && state.status !== "uploading") bar.value = state.progress;
    const reason = item.querySelector("[data-role=reason]");
    reason.hidden = state.status !== "failed";
    reason.textContent = state.failure_reason || "";
    const duration = item.querySelector("[data-role=duration]");
    if (duration && state.duration_s) duration.textContent = "· " + clock(state.duration_s);
  }

  function poll(item, id) {
    const timer = window.setInterval(function () {
      window.pioneer.api("/api/v1/media/" + id).then(function (state) {
        render(item, state);
        if (FINAL.indexOf(state.status) >= 0) window.clearInterval(timer);
      }).catch(function () { /* keep trying */ });
    }, 3000);
  }

  function watch(item) {
    const id = item.getAttribute("data-id");
    if (FINAL.indexOf(item.getAttribute("data-status")) >= 0) return;
    if (!window.EventSource) { poll(item, id); return; }
    const source = new EventSource("/api/v1/media/" + id + "/events");
    let failures = 0;
    source.addEventListener("state", function (ev) {
      failures = 0;
      const state = JSON.parse(ev.data);
      render(item, state);
      if (FINAL.indexOf(state.status) >= 0) source.close();
    });
    source.onerror = function () {
      failures += 1;
      if (FINAL.indexOf(item.getAttribute("data-status")) >= 0) { source.close(); return; }
      if (failures >= 3) { source.close(); poll(item, id); }
    };
  }

  list.querySelectorAll(".media-item").forEach(watch);

  // ---- upload ----
  const fileInput = document.getElementById("media-file");
  const titleInput = document.getElementById("media-title");
  const orgInput = document.getElementById("media-org");
  const submit = document.getElementById("media-submit");
  const box = document.getElementById("upload-status");
  const bar = document.getElementById("upload-progress");
  const text = document.getElementById("upload-text");
  const chunk = parseInt(form.getAttribute("data-chunk"), 10) || 8 * 1024 * 1024;
  const limit = parseInt(form.getAttribute("data-limit"), 10);
  const msg = function (key) { return form.getAttribute("data-msg-" + key) || ""; };

  fileInput.addEventListener("change", function () {
    const file = fileInput.files[0];
    if (file && !titleInput.value) titleInput.value = file.name.replace(/\.[^.]+$/, "");
  });

  function newItem(asset) {
    const empty = document.getElementById("media-empty");
    if (empty) empty.remove();
    const item = document.getElementById("media-item-template").content.firstElementChild.cloneNode(true);
    item.setAttribute("data-id", asset.id);
    item.querySelector(".media-title").textContent = asset.title;
    item.querySelector("[data-role=meta]").textContent = asset.org_name + " · " + asset.original_name;
    list.insertBefore(item, list.firstChild);
    render(item, asset);
    return item;
  }

  function sleep(ms) { return new Promise(function (resolve) { window.setTimeout(resolve, ms); }); }

  function putChunk(asset, file, offset) {
    const end = Math.min(offset + chunk, file.size);
    return fetch("/api/v1/media/" + asset.id + "/content", {
      method: "PUT", credentials: "same-origin", body: file.slice(offset, end),
      headers: { "Content-Range": "bytes " + offset + "-" + (end - 1) + "/" + file.size,
                 "Content-Type": "application/octet-stream", "X-CSRFToken": window.pioneer.csrf,
                 "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    });
  }

  async function send(asset, file, item) {
    let offset = asset.received_bytes || 0, retries = 0;
    while (true) {
      bar.value = file.size ? offset / file.size : 0;
      text.textContent = msg("uploading") + " " + Math.floor(100 * bar.value) + "%";
      if (offset >= file.size) text.textContent = msg("checking");
      let answer;
      try {
        answer = await putChunk(asset, file, offset);
      } catch (err) {
        answer = { status: 0, body: {} };
      }
      if (answer.status === 200 || answer.status === 202) {
        retries = 0;
        offset = answer.body.received_bytes;
        render(item, answer.body);
        if (answer.status === 202 || answer.body.status !== "uploading") return answer.body;
        continue;
      }
      if (answer.status === 409 && answer.body.errors && answer.body.errors.offset) {
        offset = answer.body.errors.offset[0];  // the server has more (or less) than we thought
        continue;
      }
      if (answer.status === 0 || answer.status >= 500) {
        retries += 1;
        if (retries > 8) throw new Error(msg("failed"));
        text.textContent = msg("retrying");
        await sleep(Math.min(1000 * retries, 8000));
        try { offset = (await window.pioneer.api("/api/v1/media/" + asset.id)).received_bytes; } catch (e) { /* retry */ }
        continue;
      }
      const error = new Error(answer.body.message || msg("failed"));
      error.body = answer.body;
      throw error;
    }
  }

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const file = fileInput.files[0];
    if (!file) return;
    box.hidden = false;
    bar.value = 0;
    if (file.size > limit) { text.textContent = msg("too-large"); return; }
    submit.disabled = true;
    let item = null;
    try {
      const json = { filename: file.name, size: file.size, title: titleInput.value.trim() || file.name };
      if (orgInput && orgInput.value) json.org_id = parseInt(orgInput.value, 10);
      const asset = await window.pioneer.api("/api/v1/media", { method: "POST", json: json });
      item = newItem(asset);
      const done = await send(asset, file, item);
      bar.value = 1;
      text.textContent = msg("done");
      render(item, done);
      watch(item);
      form.reset();
    } catch (err) {
      text.textContent = msg("failed") + ": " + err.message;
      if (item && err.body) {
        window.pioneer.api("/api/v1/media/" + item.getAttribute("data-id")).then(function (s) { render(item, s); })
          .catch(function () {});
      }
    } finally {
      submit.disabled = false;
    }
  });
})();
