/* Question editor: show the part of the form that fits the chosen type, single choice as radio buttons,
   more option and blank rows on demand. Without script every part shows and the server checks all. */
(function () {
  "use strict";
  var form = document.getElementById("question-editor");
  if (!form) { return; }
  var type = form.querySelector("#type");

  function showType() {
    var value = type.value;
    form.querySelectorAll(".type-part").forEach(function (part) {
      part.hidden = part.getAttribute("data-types").split(" ").indexOf(value) < 0;
    });
    form.querySelectorAll("input.correct").forEach(function (box) {
      box.type = value === "single_choice" ? "radio" : "checkbox";
    });
    var partial = form.querySelector("label.partial");
    if (partial) { partial.hidden = value !== "multiple_choice"; }
  }

  function revealer(buttonId, rowSelector) {
    var button = document.getElementById(buttonId);
    if (!button) { return; }
    function update() {
      button.hidden = form.querySelectorAll(rowSelector + ".extra").length === 0;
    }
    button.addEventListener("click", function () {
      var next = form.querySelector(rowSelector + ".extra");
      if (next) {
        next.classList.remove("extra");
        var field = next.querySelector("input:not([type=checkbox]):not([type=radio]), textarea");
        if (field) { field.focus(); }
      }
      update();
    });
    update();
  }

  form.classList.add("scripted");
  type.addEventListener("change", showType);
  showType();
  revealer("more-options", ".option-row");
  revealer("more-blanks", ".blank-row");

  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (event) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
