// A "Copy markdown" button beside each link marked data-copy (the sync
// page's markdown download): it fetches the text and puts it on the
// clipboard. Without JavaScript the link still downloads it.
(function () {
  "use strict";
  if (!window.fetch) {
    return;
  }
  document.querySelectorAll("a[data-copy]").forEach(function (link) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "Copy markdown";
    var status = document.createElement("span");
    status.className = "hint";
    status.setAttribute("role", "status");
    // Where the clipboard is refused: the text, selected, to copy by hand.
    var show = function (text) {
      var area = document.createElement("textarea");
      area.className = "markdown";
      area.readOnly = true;
      area.rows = 16;
      area.value = text;
      area.setAttribute("aria-label", "Markdown of the weekly report");
      link.parentNode.parentNode.appendChild(area);
      area.focus();
      area.select();
      status.textContent = " Selected below: press Ctrl+C (⌘C) to copy.";
    };
    button.addEventListener("click", function () {
      status.textContent = "";
      fetch(link.href, { credentials: "same-origin" })
        .then(function (res) {
          if (!res.ok) {
            throw new Error(res.status);
          }
          return res.text();
        })
        .then(function (text) {
          if (!navigator.clipboard || !navigator.clipboard.writeText) {
            show(text);
            return;
          }
          navigator.clipboard.writeText(text).then(function () {
            status.textContent = " Copied.";
          }, function () {
            show(text);
          });
        })
        .catch(function () {
          status.textContent = " Could not fetch the markdown: use the download link.";
        });
    });
    link.parentNode.appendChild(document.createTextNode(" "));
    link.parentNode.appendChild(button);
    link.parentNode.appendChild(status);
  });
})();
