/* Report pages: open and close a line's comment thread; turn the month picker of the review
   queue into the cycle filter (first day of the month). No dependencies. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-toggle-row]");
    if (!toggle) return;
    var row = document.getElementById(toggle.getAttribute("data-toggle-row"));
    if (!row) return;
    row.hidden = !row.hidden;
    toggle.setAttribute("aria-expanded", String(!row.hidden));
    if (!row.hidden) {
      var field = row.querySelector("textarea");
      if (field) field.focus();
    }
  });

  document.addEventListener("change", function (event) {
    var month = event.target.closest("[data-cycle-month]");
    if (!month) return;
    var hidden = document.getElementById("cycle");
    if (hidden) hidden.value = month.value ? month.value + "-01" : "";
  });
})();
