// ArgusAI Scout: submit the filter form when a menu changes (the button works without JS).
(function () {
  "use strict";
  function ready() {
    var form = document.getElementById("filters");
    if (!form) { return; }
    ["language", "difficulty"].forEach(function (id) {
      var menu = document.getElementById(id);
      if (menu) {
        menu.addEventListener("change", function () { form.submit(); });
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
}());
