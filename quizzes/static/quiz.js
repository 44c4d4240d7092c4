// The phone quiz page: one question per screen, server countdown, progress, and every answer saved
// (confirmed by the server) before the next question shows.
// Runs at DOMContentLoaded: app.js (window.pioneer) is deferred after this script.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  const app = document.getElementById("quiz-app");
  if (!app) return;
  const msg = app.dataset;
  const $ = function (id) { return document.getElementById(id); };
  const typeLabels = {};
  const tpl = $("type-labels");
  if (tpl) tpl.content.querySelectorAll("span").forEach(function (s) { typeLabels[s.dataset.type] = s.textContent; });
  const LETTERS = "ABCDEFGH";
  let attempt = null, index = 0, offset = 0, ticker = null, busy = false, revealed = false, questionStart = 0;

  function now() { return Date.now() + offset; }
  function fail(err) {
    const box = $("quiz-error");
    box.textContent = (err && err.message) || String(err);
    box.hidden = false;
  }
  function status(text) { $("q-status").textContent = text || ""; }

  function start() {
    window.pioneer.api("/api/v1/quizzes/" + msg.quizId + "/attempts", { method: "POST" })
      .then(function (a) {
        attempt = a;
        offset = Date.parse(a.server_time) - Date.now();
        const firstOpen = a.questions.findIndex(function (q) { return !q.answered; });
        index = firstOpen < 0 ? a.questions.length - 1 : firstOpen;
        $("quiz-loading").hidden = true;
        $("quiz-question").hidden = false;
        $("quiz-nav").hidden = false;
        render();
        ticker = window.setInterval(tick, 500);
        tick();
      })
      .catch(fail);
  }

  function current() { return attempt.questions[index]; }

  function render() {
    const q = current();
    revealed = false;
    questionStart = now();
    $("q-type").textContent = typeLabels[q.type] || q.type;
    $("q-stem").innerHTML = q.stem; // sanitised on the server (nh3)
    const box = $("q-options");
    box.textContent = "";
    $("q-feedback").hidden = true;
    status(q.answered ? msg.msgSaved : "");
    if (q.type === "fill_blank") {
      for (let i = 0; i < q.blanks; i++) {
        const label = document.createElement("label");
        label.textContent = msg.msgBlank.replace("{n}", String(i + 1));
        const input = document.createElement("input");
        input.type = "text"; input.className = "blank"; input.maxLength = 500; input.autocomplete = "off";
        if (q.response && q.response[i] !== undefined) input.value = q.response[i];
        label.appendChild(input);
        box.appendChild(label);
      }
    } else if (q.type === "short_answer") {
      const area = document.createElement("textarea");
      area.rows = 6; area.maxLength = 5000; area.className = "essay";
      if (typeof q.response === "string") area.value = q.response;
      box.appendChild(area);
    } else {
      const multi = q.type === "multiple_choice";
      q.options.forEach(function (opt, i) {
        const label = document.createElement("label");
        label.className = "option";
        const input = document.createElement("input");
        input.type = multi ? "checkbox" : "radio"; input.name = "opt"; input.value = opt.key;
        if (q.response && q.response.indexOf(opt.key) >= 0) input.checked = true;
        const letter = document.createElement("span");
        letter.className = "letter";
        letter.textContent = q.type === "true_false" ? "" : LETTERS[i];
        const text = document.createElement("span");
        text.className = "text";
        text.innerHTML = opt.text; // sanitised on the server
        label.appendChild(input); label.appendChild(letter); label.appendChild(text);
        box.appendChild(label);
      });
    }
    window.pioneer.api("/api/v1/attempts/" + attempt.id + "/questions/" + q.id + "/shown", { method: "POST" })
      .catch(function () { /* the server infers the time from the previous answer */ });
    const last = index === attempt.questions.length - 1;
    $("q-prev").hidden = index === 0 || attempt.show_answers === "after_each";
    $("q-next").hidden = last;
    $("q-submit").hidden = !last;
    const answered = attempt.questions.filter(function (x) { return x.answered; }).length;
    $("quiz-progress").max = attempt.questions.length;
    $("quiz-progress").value = answered;
    $("quiz-progress-text").textContent = (index + 1) + " / " + attempt.questions.length;
    window.scrollTo(0, 0);
  }

  function collect() {
    const q = current();
    if (q.type === "fill_blank") {
      const values = Array.prototype.map.call(document.querySelectorAll("#q-options input.blank"), function (i) { return i.value; });
      return values.some(function (v) { return v.trim(); }) ? values : null;
    }
    if (q.type === "short_answer") {
      const v = document.querySelector("#q-options textarea").value;
      return v.trim() ? v : null;
    }
    const keys = Array.prototype.filter.call(document.querySelectorAll("#q-options input"), function (i) { return i.checked; })
      .map(function (i) { return i.value; });
    return keys.length ? keys : null;
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  // Saves the current response; resolves true once the server has it (or there is nothing to save).
  function save(attemptsLeft) {
    const q = current();
    const response = collect();
    if (response === null || (q.answered && same(response, q.response))) return Promise.resolve(true);
    status(msg.msgSaving);
    return window.pioneer.api("/api/v1/attempts/" + attempt.id + "/answers/" + q.id, { method: "PUT", json: { response: response } })
      .then(function (body) {
        q.response = response; q.answered = true;
        status(msg.msgSaved);
        if (body.correct !== undefined && body.correct !== null || body.answer !== undefined) showFeedback(body);
        return true;
      })
      .catch(function (err) {
        if (err.status === 409) { // time is up or the attempt is over: the server has closed it
          finish();
          return false;
        }
        if (!err.status && attemptsLeft > 0) {
          return new Promise(function (r) { window.setTimeout(r, 1500); }).then(function () { return save(attemptsLeft - 1); });
        }
        status(err.status ? err.message : msg.msgRetry);
        return false;
      });
  }

  function showFeedback(body) {
    const box = $("q-feedback");
    box.textContent = "";
    const head = document.createElement("strong");
    head.textContent = body.correct ? msg.msgRight : msg.msgWrong;
    head.className = body.correct ? "ok" : "bad";
    box.appendChild(head);
    if (body.explanation) {
      const p = document.createElement("div");
      p.innerHTML = body.explanation; // sanitised on the server
      box.appendChild(p);
    }
    box.hidden = false;
    revealed = true;
    document.querySelectorAll("#q-options input, #q-options textarea").forEach(function (i) { i.disabled = true; });
  }

  function go(step) {
    if (busy) return;
    busy = true;
    const wasRevealed = revealed;
    save(2).then(function (ok) {
      busy = false;
      if (!ok) return;
      if (attempt.show_answers === "after_each" && revealed && !wasRevealed && step > 0) return; // read the feedback first
      index = Math.max(0, Math.min(attempt.questions.length - 1, index + step));
      render();
    });
  }

  function submit(ask) {
    if (busy) return;
    if (ask && !window.confirm(msg.msgConfirm)) return;
    busy = true;
    save(2).then(function (ok) {
      if (!ok && attempt.state === "closed") return;
      return window.pioneer.api("/api/v1/attempts/" + attempt.id + "/submit", { method: "POST" }).then(finish);
    }).catch(function (err) { busy = false; fail(err); });
  }

  function finish() {
    window.clearInterval(ticker);
    attempt.state = "closed";
    window.location.assign(msg.resultUrl.replace(/0$/, String(attempt.id)));
  }

  function fmt(ms) {
    const s = Math.max(0, Math.ceil(ms / 1000));
    const m = Math.floor(s / 60);
    return m + ":" + String(s % 60).padStart(2, "0");
  }

  function tick() {
    if (!attempt) return;
    const el = $("quiz-countdown");
    let left = null;
    if (attempt.deadline) left = Date.parse(attempt.deadline) - now();
    if (attempt.question_time_s) {
      const qLeft = questionStart + attempt.question_time_s * 1000 - now();
      if (qLeft <= 0 && !busy) {
        if (index < attempt.questions.length - 1) { go(1); } else { submit(false); }
        return;
      }
      left = left === null ? qLeft : Math.min(left, qLeft);
    }
    if (left === null) return;
    el.hidden = false;
    el.textContent = fmt(left);
    el.classList.toggle("urgent", left < 60000);
    if (attempt.deadline && Date.parse(attempt.deadline) - now() <= 0 && !busy) {
      status(msg.msgTimeup);
      submit(false);
    }
  }

  $("q-next").addEventListener("click", function () { go(1); });
  $("q-prev").addEventListener("click", function () { go(-1); });
  $("q-submit").addEventListener("click", function () { submit(true); });
  start();
});
