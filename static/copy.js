// A "Copy" button before each <textarea data-copy> (the sync page's
// markdown). Without JavaScript the text is still there to select and copy.
(function () {
  "use strict";
  document.querySelectorAll("textarea[data-copy]").forEach(function (area) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "Copy markdown";
    var status = document.createElement("span");
    status.className = "hint";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      var done = function () { status.textContent = " Copied."; };
      var manual = function () {
        area.focus();
        area.select();
        status.textContent = " Selected: press Ctrl+C (⌘C) to copy.";
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(area.value).then(done, manual);
      } else {
        manual();
      }
    });
    var details = area.closest("details");
    var where = details || area;
    var p = document.createElement("p");
    p.appendChild(button);
    p.appendChild(status);
    where.parentNode.insertBefore(p, where);
  });
})();
