// Course editor: show the fields that fit the chosen lesson kind.
(function () {
  "use strict";
  const form = document.getElementById("lesson-form");
  if (!form) return;
  const kind = form.querySelector("#kind");
  function sync() {
    form.querySelectorAll("[data-kind]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kind").split(" ").indexOf(kind.value) < 0;
    });
  }
  kind.addEventListener("change", sync);
  sync();
})();
