// Shared page behaviour: CSRF header for fetch, confirm buttons, auto-submit selects.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";
  window.pioneer = {
    csrf: csrf,
    api: function (path, options) {
      options = options || {};
      options.headers = Object.assign({ "X-CSRFToken": csrf, "Accept": "application/json" }, options.headers || {});
      if (options.json !== undefined) {
        options.body = JSON.stringify(options.json);
        options.headers["Content-Type"] = "application/json";
        delete options.json;
      }
      options.credentials = "same-origin";
      return fetch(path, options).then(function (r) {
        if (r.status === 204) return null;
        return r.json().then(function (body) {
          if (!r.ok) { const e = new Error(body.message || r.statusText); e.body = body; e.status = r.status; throw e; }
          return body;
        });
      });
    }
  };
  document.addEventListener("click", function (ev) {
    const el = ev.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) ev.preventDefault();
  });
  document.addEventListener("change", function (ev) {
    if (ev.target.matches("[data-autosubmit]")) ev.target.form.submit();
  });
})();
// Org tree: expand or collapse every node at once.
document.addEventListener("click", function (ev) {
  "use strict";
  const button = ev.target.closest("[data-tree]");
  if (!button) return;
  const open = button.getAttribute("data-tree") === "open";
  document.querySelectorAll(".org-tree details").forEach(function (d) { d.open = open; });
});
