// The site menu on a phone: collapsed behind a "Menu" button (aria-expanded), opened and closed by it or Escape.
// Without JavaScript the menu simply stays open. Loaded in <head> so that the page never flashes an open menu.
document.documentElement.classList.add("js-menu");
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector(".menu-toggle");
  var menu = document.getElementById("site-menu");
  if (!button || !menu) return;
  button.hidden = false;
  function setOpen(open) {
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  }
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.classList.contains("open")) {
      setOpen(false);
      button.focus();
    }
  });
});
