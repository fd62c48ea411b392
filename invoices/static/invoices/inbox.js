// Inbox upload: drop files on the zone (or choose them) and they are posted at once with htmx,
// with a progress bar while the bytes travel. Without JavaScript the form posts normally.
(() => {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const progress = form.querySelector(".upload-progress");
  const send = () => { if (input.files.length) htmx.trigger(form, "submit"); };
  input.addEventListener("change", send);
  ["dragenter", "dragover"].forEach((name) => form.addEventListener(name, (event) => {
    event.preventDefault();
    form.classList.add("is-over");
  }));
  ["dragleave", "drop"].forEach((name) => form.addEventListener(name, () => form.classList.remove("is-over")));
  form.addEventListener("drop", (event) => {
    event.preventDefault();
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    send();
  });
  form.addEventListener("htmx:xhr:progress", (event) => {
    if (!event.detail.lengthComputable) return;
    progress.hidden = false;
    progress.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  });
  form.addEventListener("htmx:afterRequest", () => {
    progress.hidden = true;
    progress.value = 0;
    input.value = "";
  });
})();
