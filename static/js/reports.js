/* Report pages: open and close a line's comment thread; count a comment's characters. No
   dependencies. */
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

  /* A comment's counter: "N of 4000 characters" as the person types or pastes (the textarea's
     maxlength stops a longer paste, and the counter makes that visible). */
  document.addEventListener("input", function (event) {
    var field = event.target.closest("textarea[data-counter]");
    if (!field) return;
    var counter = document.getElementById(field.getAttribute("data-counter"));
    if (!counter) return;
    var limit = Number(counter.getAttribute("data-limit"));
    var text = counter.getAttribute("data-count-text") || "{count}";
    counter.textContent = text.replace("{count}", String(field.value.length));
    counter.classList.toggle("text-danger", field.value.length >= limit);
  });
})();
