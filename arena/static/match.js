// Quick match (双人对战 / 四人赛): search, then follow the match by polling its state once a second.
// The server decides everything (times, scores); this page only shows what it is told.
// Runs on DOMContentLoaded: app.js (window.pioneer) is deferred after this file.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  const app = document.getElementById("match-app");
  if (!app) return;
  const $ = function (id) { return document.getElementById(id); };
  const msg = function (name, values) {
    let text = app.getAttribute("data-msg-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
  };
  const api = window.pioneer.api;
  const POLL_MS = 1000;
  let matchId = app.getAttribute("data-match-id");
  let ticketId = null;
  let view = null;          // last state from the server
  let receivedAt = 0;       // performance.now() when it arrived
  let shownQuestion = 0;    // number of the question whose buttons are on screen
  let chosen = [];
  let sending = false;

  function showError(text) {
    const el = $("match-error");
    el.textContent = text || "";
    el.hidden = !text;
  }
  function matchUrl(base, id) { return base.replace(/0$/, String(id)); }

  // ---- search ----
  function searchTick(promise) {
    promise.then(function (t) {
      showError("");
      ticketId = t.id;
      if (t.state === "matched") {
        window.location.assign(matchUrl(app.getAttribute("data-match-page"), t.match_id));
        return;
      }
      $("search-progress").value = Math.min(t.waited_s / t.search_s, 1);
      $("search-waited").textContent = msg("waited", { s: Math.floor(t.waited_s), max: t.search_s });
      $("search-others").textContent = msg("others", { n: t.waiting_now });
      $("search-window").textContent = msg("window", { w: t.window, r: t.rating });
      if (t.state === "waiting") {
        setTimeout(function () { searchTick(api(app.getAttribute("data-tickets-url") + "/" + t.id)); }, POLL_MS);
      } else {
        $("match-status").textContent = t.state === "expired" ? msg("expired") : msg("cancelled");
        $("search-cancel").hidden = true;
        $("search-again").hidden = false;
        $("search-progress").hidden = true;
      }
    }).catch(function (e) {
      if (e.body && e.body.code === "already_playing" && e.body.errors && e.body.errors.match_id) {
        window.location.assign(matchUrl(app.getAttribute("data-match-page"), e.body.errors.match_id[0]));
        return;
      }
      if (e.status) { showError(e.message); $("search-cancel").hidden = true; return; }
      showError(msg("offline"));
      setTimeout(function () {
        searchTick(ticketId ? api(app.getAttribute("data-tickets-url") + "/" + ticketId)
          : api(app.getAttribute("data-tickets-url"), { method: "POST", json: { mode: app.getAttribute("data-mode") } }));
      }, POLL_MS * 2);
    });
  }

  // ---- match ----
  function renderPlayers(v) {
    const list = $("players");
    list.textContent = "";
    v.players.forEach(function (p) {
      const li = document.createElement("li");
      li.className = "player" + (p.me ? " me" : "") + (p.state !== "playing" ? " gone" : "");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = p.name + (p.me ? " (" + msg("me") + ")" : "");
      const note = document.createElement("span");
      note.className = "note";
      if (p.state !== "playing") note.textContent = msg("left");
      else if (v.question && v.question.phase === "open" && p.answered_current) note.textContent = "✓ " + msg("answered");
      const score = document.createElement("span");
      score.className = "score";
      score.textContent = String(p.score);
      li.append(name, note, score);
      list.append(li);
    });
    $("players-panel").hidden = false;
  }

  function renderOptions(q) {
    const box = $("q-options");
    box.textContent = "";
    chosen = q.my_response ? q.my_response.slice() : [];
    q.options.forEach(function (o) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "option secondary";
      b.setAttribute("data-key", o.key);
      b.textContent = o.key + ". " + o.text;
      b.disabled = !!q.my_response;
      if (chosen.indexOf(o.key) >= 0) b.classList.add("chosen");
      box.append(b);
    });
    $("q-send").hidden = q.type !== "multiple_choice" || !!q.my_response;
    $("q-state").textContent = q.my_response ? msg("sent") : "";
  }

  function renderQuestion(v) {
    const q = v.question;
    $("q-number").textContent = msg("question", { n: q.number, of: v.total });
    if (q.phase === "open") {
      $("q-stem").innerHTML = q.stem;  // sanitised by the question bank on the server
      if (shownQuestion !== q.number) { shownQuestion = q.number; renderOptions(q); }
      $("question-panel").hidden = false;
    } else {
      $("question-panel").hidden = true;
    }
  }

  function renderReveal(v) {
    const last = v.revealed[v.revealed.length - 1];
    if (!last) { $("reveal-panel").hidden = true; return; }
    const mine = last.results.filter(function (r) { return r.seat === v.me.seat; })[0];
    const verdict = $("reveal-verdict");
    const right = mine && mine.response && mine.points > 0;
    verdict.textContent = !mine || !mine.response ? msg("none") : (right ? msg("right") : msg("wrong")) +
      (mine && mine.points ? " +" + mine.points : "");
    verdict.className = "verdict " + (right ? "up" : "down");
    const texts = {};
    last.options.forEach(function (o) { texts[o.key] = o.key + ". " + o.text; });
    $("reveal-answer").textContent = msg("correct") + " " +
      [].concat(last.correct).map(function (k) { return texts[k] || k; }).join("；");
    $("reveal-explanation").textContent = last.explanation || "";
    $("reveal-panel").hidden = false;
  }

  function renderResult(v) {
    const r = v.result;
    $("question-panel").hidden = true;
    $("reveal-panel").hidden = true;
    $("result-place").textContent = msg("place", { n: r.placing, of: v.players.length });
    $("result-score").textContent = msg("points", { n: r.score });
    $("result-rating").textContent = msg("rating", { before: r.rating_before, after: r.rating_after }) +
      " (" + (r.rating_change >= 0 ? "+" : "") + r.rating_change + ")";
    $("result-rating").className = r.rating_change >= 0 ? "up" : "down";
    $("result-points").textContent = r.earned_points ? msg("earned") : msg("unscored");
    $("result-panel").hidden = false;
    $("match-leave").hidden = true;
    $("match-status").textContent = "";
  }

  function render(v) {
    view = v;
    receivedAt = performance.now();
    renderPlayers(v);
    if (v.state === "finished") { renderResult(v); return; }
    $("match-leave").hidden = v.me.state !== "playing";
    if (v.question && v.question.phase === "open") {
      renderQuestion(v);
      $("reveal-panel").hidden = true;
    } else {
      $("question-panel").hidden = true;
      renderReveal(v);
    }
    tick();
  }

  function secondsLeft(ms) {
    return Math.max(0, Math.ceil((ms - (performance.now() - receivedAt)) / 1000));
  }

  function tick() {
    if (!view || view.state !== "running") return;
    const q = view.question;
    if (view.starts_in_ms > 0 && (!q || q.number === 1) && (!q || q.phase === "upcoming")) {
      $("match-status").textContent = msg("starts", { s: secondsLeft(view.starts_in_ms) });
    } else if (q && q.phase === "upcoming") {
      $("match-status").textContent = msg("next", { s: secondsLeft(q.opens_in_ms) });
    } else if (q && q.phase === "open") {
      const left = Math.max(0, q.closes_in_ms - (performance.now() - receivedAt));
      $("q-countdown").textContent = Math.ceil(left / 1000) + " s";
      $("q-time").value = left / (view.question_s * 1000);
      $("match-status").textContent = "";
    }
  }

  function poll() {
    api(matchUrl(app.getAttribute("data-match-api"), matchId)).then(function (v) {
      showError("");
      render(v);
      if (v.state === "running") setTimeout(poll, POLL_MS);
    }).catch(function (e) {
      if (e.status === 404) { showError(e.message); return; }
      showError(msg("offline"));
      setTimeout(poll, POLL_MS);
    });
  }

  function send(keys) {
    if (sending || !view || !view.question) return;
    sending = true;
    const number = view.question.number;
    api(matchUrl(app.getAttribute("data-match-api"), matchId) + "/answers",
      { method: "POST", json: { number: number, response: keys } }).then(function () {
      $("q-state").textContent = msg("sent");
      $("q-options").querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      $("q-send").hidden = true;
    }).catch(function (e) {
      $("q-state").textContent = e.message || msg("offline");
    }).then(function () { sending = false; });
  }

  $("q-options") && $("q-options").addEventListener("click", function (ev) {
    const b = ev.target.closest("button.option");
    if (!b || b.disabled || !view || !view.question) return;
    const key = b.getAttribute("data-key");
    if (view.question.type === "multiple_choice") {
      const at = chosen.indexOf(key);
      if (at >= 0) chosen.splice(at, 1); else chosen.push(key);
      b.classList.toggle("chosen", at < 0);
      return;
    }
    b.classList.add("chosen");
    send([key]);
  });
  $("q-send") && $("q-send").addEventListener("click", function () { if (chosen.length) send(chosen.slice()); });
  $("match-leave") && $("match-leave").addEventListener("click", function () {
    if (!window.confirm(msg("leave"))) return;
    api(matchUrl(app.getAttribute("data-match-api"), matchId) + "/abandon", { method: "POST" }).then(render)
      .catch(function (e) { showError(e.message); });
  });
  $("search-cancel") && $("search-cancel").addEventListener("click", function () {
    if (!ticketId) return;
    api(app.getAttribute("data-tickets-url") + "/" + ticketId, { method: "DELETE" }).catch(function () {});
  });

  setInterval(tick, 200);
  if (matchId) {
    poll();
  } else {
    searchTick(api(app.getAttribute("data-tickets-url"), { method: "POST", json: { mode: app.getAttribute("data-mode") } }));
  }
});
