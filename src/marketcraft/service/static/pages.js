// marketcraft pages: ask before an irreversible action, saying what it does.
// A form with data-confirm="..." is submitted only once the user agrees to that text.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
