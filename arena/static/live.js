// Live arena screens: one script for the host console, big screen, contestant phone and audience page.
// State comes only from the server (SSE stream: numbered events carry the public state, the scoreboard only
// when it may have changed; ticks carry answer counts and reactions); the clock
// shown is the server's (offset measured from server_now). CSP: no inline scripts.
(function () {
  "use strict";
  var root = document.getElementById("arena");
  if (!root) return;
  var d = root.dataset, role = d.role, state = null, me = null, offset = 0, timer = null, source = null;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  function part(name) { return root.querySelector('[data-part="' + name + '"]') || document.querySelector('[data-part="' + name + '"]'); }
  function t(key) { return d["t" + key.replace(/(^|-)(\w)/g, function (m, a, c) { return c.toUpperCase(); })] || key; }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function clear(e) { while (e && e.firstChild) e.removeChild(e.firstChild); return e; }
  function setText(name, text) { var e = part(name); if (e) e.textContent = text; }

  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}, body: JSON.stringify(body)})
      .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, status: r.status, body: j}; }); });
  }
  function showError(res) {
    var e = part("error"); if (!e) return;
    e.textContent = res && !res.ok ? (res.body.message || res.status) : "";
  }
  function refreshMe() {
    if (!d.api) return Promise.resolve();
    return fetch(d.api, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (j) { me = j.me; render(j.state); });
  }
  function contestantName(id) {
    var row = (state.scoreboard || []).filter(function (r) { return r.id === id; })[0];
    return row ? row.name : "";
  }

  function renderQuestion(slot) {
    var box = clear(part("question")); if (!box) return;
    if (!slot || !slot.question) return;
    var q = slot.question, stem = el("div", "stem");
    stem.textContent = new DOMParser().parseFromString(q.stem, "text/html").body.textContent;
    box.appendChild(stem);
    var list = el("ol", "options");
    (q.options || []).forEach(function (o) {
      var li = el("li", "option", o.key + ". " + o.text);
      if (q.answer && q.answer.indexOf && q.answer.indexOf(o.key) >= 0) li.classList.add("correct");
      list.appendChild(li);
    });
    if (q.options && q.options.length) box.appendChild(list);
    if (q.answer !== undefined) {
      var ans = Array.isArray(q.answer) ? q.answer.map(function (a) { return Array.isArray(a) ? a.join("/") : a; }).join("、") : q.answer;
      box.appendChild(el("p", "reveal", t("correct") + "：" + ans));
    }
  }

  function renderBoard() {
    var board = clear(part("board")); if (!board) return;
    state.scoreboard.forEach(function (r) {
      var li = el("li", r.disqualified ? "out" : "");
      li.dataset.contestant = r.id;
      li.appendChild(el("span", "name", r.name));
      li.appendChild(el("span", "score", String(r.score)));
      var react = el("span", "reactions");
      if (role === "audience" || role === "guest") {
        var like = el("button", "like", t("like") + " " + r.likes), boo = el("button", "boo", t("boo") + " " + r.boos);
        like.type = boo.type = "button"; like.title = t("like"); boo.title = t("boo");
        like.dataset.kind = "like"; boo.dataset.kind = "boo"; like.dataset.id = boo.dataset.id = r.id;
        react.appendChild(like); react.appendChild(boo);
      } else {
        react.textContent = t("likes") + " " + r.likes + " · " + t("boos") + " " + r.boos;
      }
      li.appendChild(react);
      if (r.disqualified) li.appendChild(el("span", "badge", t("disqualified")));
      if (me && me.contestant_id === r.id) li.classList.add("me");
      board.appendChild(li);
    });
  }

  function renderWho(slot) {
    var who = part("who"); if (!who) return;
    var bits = [];
    if (slot) {
      if (slot.round.kind === "knockout" && slot.defender_id) bits.push(t("champion") + "：" + contestantName(slot.defender_id) + "　" + t("challenger") + "：" + contestantName(slot.target_id));
      if (slot.passed_by_id) bits.push(t("passed"));
      else if (slot.target_id) bits.push(t("target") + "：" + contestantName(slot.target_id));
      if (slot.stake) bits.push(t("stake") + " " + slot.stake);
      if (slot.buzz_winner_id) bits.push(t("buzzed") + "：" + contestantName(slot.buzz_winner_id));
      var answeredCount = Math.max(slot.answered_count || 0, (slot.answered || []).length);
      if (answeredCount) bits.push(t("answered") + " " + answeredCount);
    }
    who.textContent = bits.join(" · ");
  }

  function tick() {
    var c = part("countdown"); if (!c || !state) return;
    var slot = state.slot;
    if (!slot || slot.phase !== "open" || !slot.closes_at || state.event.paused) { c.textContent = ""; return; }
    var left = (Date.parse(slot.closes_at) - (Date.now() + offset)) / 1000;
    c.textContent = left > 0 ? Math.ceil(left) + " s" : "0 s";
    c.classList.toggle("urgent", left <= 5);
  }

  function renderPlayer(slot) {
    if (role !== "contestant" || !me) return;
    var mine = me.contestant_id, row = state.scoreboard.filter(function (r) { return r.id === mine; })[0];
    setText("myscore", row ? String(row.score) : "–");
    var buzzer = part("buzzer"), form = part("answer"), stakes = part("stakes"), notice = part("notice"), pass = part("pass");
    buzzer.hidden = form.hidden = stakes.hidden = pass.hidden = true;
    if (!slot || state.event.status !== "live") return;
    var kind = slot.round.kind, answered = slot.answered.indexOf(mine) >= 0;
    if (kind === "buzz" && (slot.phase === "shown" || slot.phase === "open") && !slot.buzz_winner_id) buzzer.hidden = false;
    if (kind === "risk" && slot.phase === "pending" && slot.target_id === mine) {
      stakes.hidden = false; clear(stakes);
      stakes.appendChild(el("span", "", t("stake") + "："));
      (state.event.risk_stakes || []).forEach(function (s) {
        var b = el("button", slot.stake === s ? "chosen" : "", String(s)); b.type = "button"; b.dataset.stake = s; stakes.appendChild(b);
      });
    }
    var mayAnswer = slot.phase === "open" && !answered && slot.question &&
      ({required: slot.target_id === mine, risk: slot.target_id === mine, buzz: slot.buzz_winner_id === mine,
        knockout: slot.defender_id === mine || slot.target_id === mine, speed: true})[kind];
    pass.hidden = !(mayAnswer && kind === "knockout" && slot.defender_id === mine && slot.pass_available);
    if (kind === "buzz" && slot.buzz_winner_id === mine && !answered) notice.textContent = t("you-won-buzz");
    else if (answered) notice.textContent = t("sent");
    else if (slot.phase === "open" && !mayAnswer) notice.textContent = t("not-yours");
    else notice.textContent = "";
    if (mayAnswer && form.dataset.slot !== String(slot.id) + ":" + slot.opening) buildForm(form, slot);
    form.hidden = !mayAnswer;
  }

  function buildForm(form, slot) {
    clear(form); form.dataset.slot = slot.id + ":" + slot.opening;
    var q = slot.question, type = q.type;
    if (type === "single_choice" || type === "true_false" || type === "multiple_choice") {
      q.options.forEach(function (o) {
        var label = el("label", "choice"), input = el("input");
        input.type = type === "multiple_choice" ? "checkbox" : "radio"; input.name = "k"; input.value = o.key;
        label.appendChild(input); label.appendChild(document.createTextNode(" " + o.key + ". " + o.text));
        form.appendChild(label);
      });
    } else if (type === "fill_blank") {
      for (var i = 0; i < (q.blanks || 1); i++) { var inp = el("input", "blank"); inp.name = "b"; form.appendChild(inp); }
    } else {
      var ta = el("textarea"); ta.name = "t"; ta.rows = 3; form.appendChild(ta);
    }
    var submit = el("button", "primary", t("submit")); submit.type = "submit"; form.appendChild(submit);
  }

  function render(next) {
    // a reply fetched before a newer stream event (refreshMe, a control response) must not take the screen back
    if (!next || (state && next.seq < state.seq)) return;
    state = next;
    var slot = state.slot, ev = state.event;
    setText("progress", slot ? t("question").replace("{n}", slot.position + 1).replace("{total}", ev.questions) : "");
    setText("round", slot ? slot.round.title : "");
    var phase = ev.status === "finished" ? t("finished") : ev.paused ? t("paused") : slot ? t("phase-" + slot.phase) : "";
    setText("phase", phase);
    renderQuestion(slot); renderBoard(); renderWho(slot); renderPlayer(slot); tick();
    var winner = part("winner");
    if (winner) {
      winner.hidden = ev.status !== "finished";
      if (ev.status === "finished") {
        clear(winner);
        winner.appendChild(el("div", "crown", "★ " + t("winner") + " ★"));
        winner.appendChild(el("div", "who", contestantName(state.winner_id)));
        if (state.popularity_id) winner.appendChild(el("div", "popular", t("popular") + "：" + contestantName(state.popularity_id)));
      }
    }
    if (role === "host") renderRulings(slot);
    root.dataset.seq = state.seq;
    document.body.dataset.arenaSeq = state.seq;
  }

  function renderRulings(slot) {
    var box = clear(part("rulings")); if (!box || !slot || !slot.waiting_ruling.length) return;
    slot.waiting_ruling.forEach(function (id) {
      var p = el("p", "ruling", t("rule") + " #" + id + " ");
      ["right", "wrong"].forEach(function (k) {
        var b = el("button", "", t(k)); b.type = "button"; b.dataset.ruling = id; b.dataset.correct = k === "right" ? "1" : ""; p.appendChild(b);
      });
      box.appendChild(p);
    });
  }

  function ticker(message) {
    var foot = part("ticker"); if (!foot) return;
    var name = contestantName(message.contestant_id);
    var item = el("span", "tick " + message.kind, (message.kind === "like" ? t("like") : t("boo")) +
      (message.n > 1 ? " ×" + message.n : "") + " → " + name);
    foot.appendChild(item);
    while (foot.childNodes.length > 12) foot.removeChild(foot.firstChild);
  }

  // A tick: answers and reactions since the last one (coalesced by the server, at most ~10 a second).
  function onTick(m) {
    var a = m.answered, slot = state.slot;
    if (a && slot && slot.id === a.slot_id && slot.opening === a.opening) {
      a.contestant_ids.forEach(function (id) { if (slot.answered.indexOf(id) < 0) slot.answered.push(id); });
      slot.answered_count = Math.max(slot.answered_count || 0, a.count, slot.answered.length);
      render(state);
    }
    var changed = false;
    Object.keys(m.reactions || {}).forEach(function (key) {
      var r = m.reactions[key], id = +key;
      state.scoreboard.forEach(function (row) {
        if (row.id === id) { row.likes = Math.max(row.likes, r.likes); row.boos = Math.max(row.boos, r.boos); changed = true; }
      });
      if (r.new_likes) ticker({contestant_id: id, kind: "like", n: r.new_likes});
      if (r.new_boos) ticker({contestant_id: id, kind: "boo", n: r.new_boos});
    });
    if (changed) renderBoard();
  }

  function onMessage(ev) {
    var m = JSON.parse(ev.data), banner = part("banner");
    if (m.type === "bus_down") { banner.textContent = t("bus-down"); banner.hidden = false; return; }
    if (m.type === "bus_up") { banner.hidden = true; return; }
    banner.hidden = true;
    if (m.type === "tick") { if (state) onTick(m); return; }
    if (m.state) {
      offset = Date.parse(m.state.server_now) - Date.now();
      if (!m.state.scoreboard && state) m.state.scoreboard = state.scoreboard;  // unchanged: not re-sent
      render(m.state);
      if (m.state.event.status === "finished" && source) { source.close(); source = null; }  // nothing more will come
      if (role === "contestant") refreshMe();
    }
  }

  function connect() {
    source = new EventSource(d.stream);  // the browser resends Last-Event-ID on reconnect
    source.onmessage = onMessage;
    source.onerror = function () {
      if (!source) return;
      var banner = part("banner"); banner.textContent = t("bus-down"); banner.hidden = false;
      if (source.readyState === 2) {  // refused (503 while a crowd connects): the browser gives up, we try again
        source.close(); source = null;
        setTimeout(connect, 2000 + Math.random() * 3000);
      }
    };
    source.onopen = function () { part("banner").hidden = true; };
  }

  root.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button") : null; if (!b) return;
    if (b.dataset.action) {
      post(d.control, {action: b.dataset.action}).then(function (res) { showError(res); if (res.ok) render(res.body.state); });
    } else if (b.dataset.ruling) {
      post(d.control, {action: "adjudicate", answer_id: +b.dataset.ruling, correct: !!b.dataset.correct}).then(function (res) { showError(res); if (res.ok) render(res.body.state); });
    } else if (b.dataset.kind) {
      var body = {contestant_id: +b.dataset.id, kind: b.dataset.kind};
      if (d.guest) body.guest_token = d.guest;
      post(d.reactions, body).then(showError);
    } else if (b.dataset.stake) {
      post(d.stakes, {slot_id: state.slot.id, stake: +b.dataset.stake}).then(showError);
    } else if (b.dataset.part === "pass") {
      post(d.passes, {slot_id: state.slot.id}).then(showError);
    } else if (b.dataset.part === "buzzer") {
      post(d.buzz, {slot_id: state.slot.id}).then(function (res) {
        showError(res);
        if (res.ok) part("notice").textContent = res.body.outcome === "won" ? t("you-won-buzz") : res.body.outcome;
      });
    }
  });
  root.addEventListener("submit", function (e) {
    e.preventDefault();
    var form = e.target, q = state.slot.question, response;
    if (q.type === "short_answer") response = form.querySelector("textarea").value;
    else if (q.type === "fill_blank") response = Array.prototype.map.call(form.querySelectorAll("input.blank"), function (i) { return i.value; });
    else response = Array.prototype.map.call(form.querySelectorAll("input:checked"), function (i) { return i.value; });
    post(d.answers, {slot_id: state.slot.id, response: response}).then(function (res) {
      showError(res); if (res.ok) { part("notice").textContent = t("sent"); refreshMe(); }
    });
  });

  setInterval(tick, 250);
  refreshMe().then(connect, connect);
})();
