// My check-in: shows, while a value is typed, the status it would give.
// The server works the status out (GET /{tenant}/checkin/preview, the pacing
// module); this file only asks and shows the answer. Without JavaScript the
// form's Preview button does the same.
(function () {
  "use strict";

  var form = document.getElementById("checkin");
  if (!form || !window.fetch) {
    return;
  }

  var timers = {};
  var latest = {};

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  function setPrompt(id, answer) {
    var prompt = document.getElementById("prompt-" + id);
    var note = document.getElementById("note-" + id);
    if (!prompt || !note) {
      return;
    }
    var required = !!answer && answer.note === "required";
    prompt.textContent = answer && answer.prompt ? answer.prompt : "";
    prompt.classList.toggle("required", required);
    if (required) {
      note.setAttribute("aria-required", "true");
    } else {
      note.removeAttribute("aria-required");
    }
  }

  function show(id, answer) {
    var out = document.getElementById("preview-" + id);
    if (!out) {
      return;
    }
    clear(out);
    if (!answer) {
      setPrompt(id, null);
      return;
    }
    if (!answer.ok) {
      var err = document.createElement("span");
      err.className = "preview-error";
      err.textContent = answer.error || "This value cannot be read.";
      out.appendChild(err);
      setPrompt(id, null);
      return;
    }
    var label = document.createElement("span");
    label.className = "preview-label";
    label.textContent = "With this value:";
    // The chip as the server renders it: symbol, and the words for screen readers.
    var chip = document.createElement("span");
    chip.className = "chip " + (answer.css || "none");
    chip.title = answer.label || "";
    chip.textContent = answer.chip || "";
    var words = document.createElement("span");
    words.className = "visually-hidden";
    words.textContent = " " + (answer.label || "");
    chip.appendChild(words);
    var why = document.createElement("span");
    why.className = "preview-explanation";
    why.textContent = answer.explanation || "";
    out.appendChild(label);
    out.appendChild(document.createTextNode(" "));
    out.appendChild(chip);
    out.appendChild(document.createTextNode(" "));
    out.appendChild(why);
    setPrompt(id, answer);
  }

  function ask(field) {
    var id = field.getAttribute("data-row");
    var base = field.getAttribute("data-preview");
    if (!id || !base) {
      return;
    }
    var value = field.value.trim();
    if (value === "") {
      latest[id] = null;
      show(id, null);
      return;
    }
    var url = base + "&value=" + encodeURIComponent(value);
    latest[id] = url;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) {
        return res.json();
      })
      .then(function (answer) {
        if (latest[id] === url) {
          show(id, answer);
        }
      })
      .catch(function () {
        if (latest[id] === url) {
          show(id, { ok: false, error: "The preview is not available right now; use the Preview button." });
        }
      });
  }

  function schedule(event) {
    var field = event.target;
    if (!field || !field.hasAttribute || !field.hasAttribute("data-preview")) {
      return;
    }
    var id = field.getAttribute("data-row");
    window.clearTimeout(timers[id]);
    timers[id] = window.setTimeout(function () {
      ask(field);
    }, field.tagName === "SELECT" ? 0 : 300);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
})();
