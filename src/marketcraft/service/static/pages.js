// marketcraft pages: ask before an irreversible action, saying what it does.
// A form with data-confirm="..." is submitted only once the user agrees to that text.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A live page names its event stream in data-live: each "cells" event maps element ids to
// their new text, written in place (and marked for a moment, so a change is seen).
(function () {
  var page = document.querySelector("[data-live]");
  if (!page || !window.EventSource) {
    return;
  }
  var source = new EventSource(page.getAttribute("data-live"));
  source.addEventListener("cells", function (event) {
    var cells = JSON.parse(event.data);
    Object.keys(cells).forEach(function (id) {
      var cell = document.getElementById(id);
      if (cell && cell.textContent !== cells[id]) {
        cell.textContent = cells[id];
        cell.classList.add("changed");
        setTimeout(function () { cell.classList.remove("changed"); }, 1500);
      }
    });
  });
})();
