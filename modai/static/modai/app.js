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

// Dialogs: a button with data-dialog-open="<id>" opens that <dialog> as a modal.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-dialog-open]");
  if (!opener) return;
  const dialog = document.getElementById(opener.dataset.dialogOpen);
  if (dialog && typeof dialog.showModal === "function") dialog.showModal();
});
