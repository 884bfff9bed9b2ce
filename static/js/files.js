// "Twoje pliki" (FIL-1): the live "Minimum 5 znaków 0/75" counter of a file's description. The page works without it.
(function () {
  "use strict";
  document.querySelectorAll("input[data-counter]").forEach(function (input) {
    var counter = document.getElementById(input.getAttribute("data-counter"));
    if (!counter) { return; }
    var text = counter.textContent;
    var update = function () {
      var length = Array.from(input.value.trim()).length;
      counter.textContent = text.replace(/\d+\/(\d+)/, length + "/$1");
    };
    input.addEventListener("input", update);
    update();
  });
})();
