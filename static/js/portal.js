/*
 * Portal behaviour, without dependencies: dropdowns, confirmations (the portal's dialog), dialogs, dismissible alerts,
 * the narrow-screen sidebar, and toasts (also for htmx errors).
 *
 * Translated texts come from data-msg-* attributes on <body>, because this file cannot call
 * gettext. Pages work without this file; it only adds comfort and error reporting.
 */
(function () {
  "use strict";

  var ICONS_URL = document.body.dataset.icons || "";
  var TOAST_TIMEOUT_MS = 7000;

  function message(name, fallback) {
    return document.body.dataset[name] || fallback;
  }

  /* Dropdowns: <details class="dropdown">. Only one open at a time; outside click and Escape
     close them. */
  function closeDropdowns(except) {
    document.querySelectorAll("details.dropdown[open]").forEach(function (details) {
      if (details !== except) {
        details.removeAttribute("open");
      }
    });
  }

  /* A menu inside a scrolling table would be clipped by it, so it is placed against the
     viewport instead, under its toggle. */
  function placeInViewport(details) {
    var menu = details.querySelector(".dropdown-menu");
    var summary = details.querySelector("summary");
    if (!menu || !summary || !details.closest(".table-wrap")) {
      return;
    }
    var box = summary.getBoundingClientRect();
    menu.style.position = "fixed";
    menu.style.top = box.bottom + 6 + "px";
    menu.style.left = "auto";
    menu.style.right = Math.max(8, window.innerWidth - box.right) + "px";
    var below = window.innerHeight - box.bottom;
    if (menu.offsetHeight > below - 12 && box.top > below) {
      menu.style.top = Math.max(8, box.top - menu.offsetHeight - 6) + "px";
    }
  }

  document.addEventListener(
    "toggle",
    function (event) {
      var target = event.target;
      if (target.matches && target.matches("details.dropdown") && target.open) {
        closeDropdowns(target);
        placeInViewport(target);
      }
    },
    true
  );

  window.addEventListener(
    "scroll",
    function (event) {
      if (event.target instanceof Element && event.target.closest(".dropdown-menu")) {
        return;
      }
      document.querySelectorAll(".table-wrap details.dropdown[open]").forEach(function (d) {
        d.removeAttribute("open");
      });
    },
    true
  );

  document.addEventListener("click", function (event) {
    var inside = event.target.closest("details.dropdown");
    closeDropdowns(inside);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var open = document.querySelector("details.dropdown[open]");
    if (open) {
      open.removeAttribute("open");
      var summary = open.querySelector("summary");
      if (summary) {
        summary.focus();
      }
    }
    if (document.body.classList.contains("sidebar-open")) {
      setSidebar(false);
    }
  });

  /* Confirmation: <form data-confirm="question"> or a submit button with data-confirm asks in
     the portal's <dialog id="confirm-dialog"> (templates/includes/_confirm_dialog.html). The
     submission is stopped in the capture phase, so htmx never sees it, and submitted again with
     the same button once confirmed (htmx then sends it as usual). */
  var confirmed = new WeakSet();
  var pending = null;

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var submitter = event.submitter;
      var text =
        (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
      var dialog = document.getElementById("confirm-dialog");
      if (!text || !dialog) {
        return;
      }
      if (confirmed.has(form)) {
        confirmed.delete(form);
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      pending = { form: form, submitter: submitter || null };
      var accept = dialog.querySelector("[data-dialog-accept]");
      var label =
        (submitter && submitter.getAttribute("data-confirm-button")) ||
        form.getAttribute("data-confirm-button") ||
        accept.getAttribute("data-default-label");
      dialog.querySelector("#confirm-dialog-text").textContent = text;
      accept.textContent = label;
      var tone =
        (submitter && submitter.getAttribute("data-confirm-tone")) ||
        form.getAttribute("data-confirm-tone") ||
        "btn-primary";
      accept.className = "btn " + tone;
      dialog.showModal();
    },
    true
  );

  document.addEventListener("click", function (event) {
    var accept = event.target.closest("[data-dialog-accept]");
    if (!accept || !pending) {
      return;
    }
    var job = pending;
    pending = null;
    accept.closest("dialog").close();
    confirmed.add(job.form);
    if (typeof job.form.requestSubmit === "function") {
      job.form.requestSubmit(job.submitter);
    } else {
      job.form.submit();
    }
  });

  document.addEventListener(
    "close",
    function (event) {
      if (event.target.id === "confirm-dialog") {
        window.setTimeout(function () {
          pending = null;
        }, 0);
      }
    },
    true
  );

  /* Dialogs: [data-dialog-open="id"] opens <dialog id="id">, [data-dialog-close] closes the
     dialog it sits in, and a click on the backdrop closes it too. */
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog-open"));
      if (dialog && typeof dialog.showModal === "function") {
        event.preventDefault();
        dialog.showModal();
      }
      return;
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      var parent = closer.closest("dialog");
      if (parent) {
        event.preventDefault();
        parent.close();
      }
      return;
    }
    if (event.target.tagName === "DIALOG" && event.target.open) {
      var box = event.target.getBoundingClientRect();
      var outside =
        event.clientX < box.left ||
        event.clientX > box.right ||
        event.clientY < box.top ||
        event.clientY > box.bottom;
      if (outside) {
        event.target.close();
      }
    }
  });

  /* Dismissible alerts and toasts. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) {
      var box = button.closest(".alert, .toast");
      if (box) {
        box.remove();
      }
    }
  });

  /* Sidebar on narrow screens. */
  function setSidebar(open) {
    document.body.classList.toggle("sidebar-open", open);
    document.querySelectorAll("[data-sidebar-toggle]").forEach(function (button) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-sidebar-toggle]")) {
      setSidebar(!document.body.classList.contains("sidebar-open"));
    } else if (event.target.closest(".sidebar-backdrop")) {
      setSidebar(false);
    }
  });

  /* Toasts. */
  var TOAST_ICONS = { success: "check-circle", warning: "alert", danger: "alert", info: "info" };

  function svgIcon(name, className) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "icon " + (className || ""));
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var use = document.createElementNS(ns, "use");
    use.setAttribute("href", ICONS_URL + "#icon-" + name);
    svg.appendChild(use);
    return svg;
  }

  function toast(text, level) {
    var container = document.getElementById("toasts");
    if (!container || !text) {
      return;
    }
    level = TOAST_ICONS[level] ? level : "info";
    var box = document.createElement("div");
    box.className = "toast toast-" + level;
    box.setAttribute("role", level === "danger" || level === "warning" ? "alert" : "status");
    box.appendChild(svgIcon(TOAST_ICONS[level], "alert-icon"));
    var body = document.createElement("div");
    body.className = "alert-body";
    body.textContent = text;
    box.appendChild(body);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "alert-close";
    close.setAttribute("data-dismiss", "");
    close.setAttribute("aria-label", message("msgDismiss", "Dismiss"));
    close.appendChild(svgIcon("x"));
    box.appendChild(close);
    container.appendChild(box);
    window.setTimeout(function () {
      box.classList.add("is-leaving");
      window.setTimeout(function () {
        box.remove();
      }, 250);
    }, level === "danger" ? TOAST_TIMEOUT_MS * 2 : TOAST_TIMEOUT_MS);
  }

  window.portalToast = toast;

  /* A server response can raise a toast with the header
     HX-Trigger: {"portal:toast": {"level": "success", "text": "Saved."}} */
  document.addEventListener("portal:toast", function (event) {
    var detail = event.detail || {};
    toast(detail.text || detail.message || detail.value, detail.level);
  });

  /* htmx errors: the JSON "detail" of the response when there is one, else a message by
     status. */
  function firstText(data) {
    if (typeof data === "string") {
      return data;
    }
    if (Array.isArray(data)) {
      for (var i = 0; i < data.length; i += 1) {
        var found = firstText(data[i]);
        if (found) {
          return found;
        }
      }
      return null;
    }
    if (data && typeof data === "object") {
      if (data.detail) {
        return firstText(data.detail);
      }
      var keys = Object.keys(data);
      for (var k = 0; k < keys.length; k += 1) {
        var value = firstText(data[keys[k]]);
        if (value) {
          return value;
        }
      }
    }
    return null;
  }

  function errorText(xhr) {
    var text = null;
    var type = (xhr.getResponseHeader("Content-Type") || "").toLowerCase();
    if (type.indexOf("json") !== -1) {
      try {
        text = firstText(JSON.parse(xhr.responseText));
      } catch (ignored) {
        text = null;
      }
    } else if (type.indexOf("text/plain") !== -1 && xhr.responseText.length < 300) {
      text = xhr.responseText.trim();
    }
    if (text) {
      return text;
    }
    switch (xhr.status) {
      case 403:
        return message("msgForbidden", "You are not allowed to do this.");
      case 404:
        return message("msgNotFound", "This item no longer exists.");
      case 409:
        return message("msgConflict", "This item changed in the meantime. Reload the page.");
      default:
        return message("msgError", "Something went wrong. Please try again.");
    }
  }

  document.addEventListener("htmx:responseError", function (event) {
    toast(errorText(event.detail.xhr), "danger");
  });

  document.addEventListener("htmx:sendError", function () {
    toast(message("msgNetwork", "The server could not be reached."), "danger");
  });

  document.addEventListener("htmx:timeout", function () {
    toast(message("msgNetwork", "The server could not be reached."), "danger");
  });

  /* [data-print] prints the page (statements have a print stylesheet). */
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
