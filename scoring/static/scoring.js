// Projector page: replace the check-in QR code every few seconds and show the count.
(function () {
  "use strict";
  const box = document.querySelector("[data-qr-session]");
  if (!box || !window.pioneer) return;
  const id = box.getAttribute("data-qr-session");
  const every = parseInt(box.getAttribute("data-qr-refresh"), 10) || 30;
  const image = box.querySelector("[data-qr-image]");
  const count = box.querySelector("[data-qr-count]");
  function refresh() {
    window.pioneer.api("/api/v1/offline-sessions/" + id + "/qr").then(function (body) {
      image.innerHTML = body.svg;
      return window.pioneer.api("/api/v1/offline-sessions/" + id + "/attendance");
    }).then(function (page) {
      if (page && count) count.textContent = String(page.total);
    }).catch(function () { /* keep the last code; the next tick retries */ });
  }
  window.setInterval(refresh, every * 1000);
})();
