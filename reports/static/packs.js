// Committee packs: start one through the API and show each pack's progress until it is done.
(function () {
  "use strict";
  const words = document.getElementById("pack-words");
  const table = document.querySelector("#packs tbody");
  function render(row, pack) {
    row.dataset.status = pack.status;
    const bar = row.querySelector("progress");
    bar.max = pack.total || 1;
    bar.value = pack.status === "done" ? bar.max : pack.done;
    row.querySelector(".state").textContent = words.dataset[pack.status] + (pack.status === "running" ? " " + pack.done + "/" + pack.total : "");
    if (pack.status === "done" && pack.file_url && !row.querySelector(".file a")) {
      const a = document.createElement("a");
      a.href = pack.file_url;
      a.textContent = words.dataset.download;
      row.querySelector(".file").appendChild(a);
    }
  }
  function poll(row) {
    window.pioneer.api(row.dataset.url).then(function (pack) {
      render(row, pack);
      if (pack.status === "queued" || pack.status === "running") setTimeout(function () { poll(row); }, 1500);
    }).catch(function () { setTimeout(function () { poll(row); }, 5000); });
  }
  document.querySelectorAll("#packs tr[data-pack]").forEach(function (row) {
    if (row.dataset.status === "queued" || row.dataset.status === "running") poll(row);
  });
  const form = document.getElementById("pack-form");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const error = document.getElementById("pack-error");
    error.hidden = true;
    window.pioneer.api(form.dataset.url, { method: "POST", json: { from: form.elements.from.value, to: form.elements.to.value } })
      .then(function (pack) {
        const empty = table.querySelector("tr.empty");
        if (empty) empty.remove();
        const row = document.getElementById("pack-row").content.firstElementChild.cloneNode(true);
        row.dataset.pack = pack.id;
        row.dataset.url = pack.url;
        row.querySelector(".period").textContent = pack.from + " – " + pack.to;
        table.prepend(row);
        render(row, pack);
        poll(row);
      })
      .catch(function (e) { error.textContent = e.message; error.hidden = false; });
  });
})();
