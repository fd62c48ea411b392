// Close an open dropdown (entity switcher, avatar menu) when clicking outside it or pressing Escape.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details[data-dropdown][open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details[data-dropdown][open]").forEach((menu) => menu.removeAttribute("open"));
});
