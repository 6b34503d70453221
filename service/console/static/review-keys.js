// Keyboard shortcuts of the review screen, listed on the page under "Keyboard shortcuts".
// n/j: next visit awaiting review; k: the review queue; a: the Approve button;
// r: the comment (returning needs one); ?: the help. Off while typing in a field.
(function () {
  "use strict";
  function follow(id) {
    var link = document.getElementById(id);
    if (link) { window.location.assign(link.href); }
  }
  function focus(id) {
    var element = document.getElementById(id);
    if (element) { element.focus(); }
    return element;
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    var done = true;
    switch (event.key) {
      case "n": case "j": follow("next-visit"); break;
      case "k": follow("queue-link"); break;
      case "a": done = focus("action-approve") !== null; break;
      case "r": done = focus("comment") !== null; break;
      case "?":
        var heading = document.getElementById("keys-heading");
        if (heading) { heading.tabIndex = -1; heading.focus(); }
        break;
      default: done = false;
    }
    if (done) { event.preventDefault(); }
  });
}());
