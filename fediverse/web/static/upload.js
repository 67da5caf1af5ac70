// The studio upload form, enhanced: several files at once (or dropped), previews, an alt text per image,
// order by buttons or drag, focal point by clicking the preview, upload progress and per-file errors from the
// server (Accept: application/json), without losing the rest of the form. Without this script the numbered
// image slots of the same form are posted as they are; the server checks everything either way.
(function () {
  "use strict";
  var box = document.getElementById("images");
  var itemTemplate = document.getElementById("upload-item");
  var progressTemplate = document.getElementById("upload-progress");
  if (!box || !itemTemplate || !window.FormData || !window.URL || !URL.createObjectURL ||
      !("upload" in new XMLHttpRequest()) || !("content" in itemTemplate)) { return; }
  var form = box.closest("form");
  var uploader = box.querySelector(".uploader");
  var picker = document.getElementById("upload-files");
  var list = box.querySelector(".upload-list");
  var note = box.querySelector(".upload-note");
  var maxFiles = parseInt(box.dataset.maxFiles, 10);
  var maxBytes = parseInt(box.dataset.maxBytes, 10);
  var requireAlt = box.dataset.requireAlt === "1";
  var accepted = box.dataset.accept.split(",");
  var submit = form.querySelector("button[type=submit]");
  var counter = 0;
  var dragged = null;

  // The plain slots leave the form (disabled controls are not sent); the uploader takes their place.
  box.querySelectorAll(".plain-slots fieldset").forEach(function (f) { f.disabled = true; });
  box.querySelector(".plain-slots").hidden = true;
  uploader.hidden = false;
  form.noValidate = true; // our own messages, next to the image they are about
  var status = progressTemplate.content.firstElementChild.cloneNode(true);
  submit.parentNode.parentNode.insertBefore(status, submit.parentNode);
  var message = status.querySelector(".upload-message");
  var uploadBar = status.querySelector("#upload-bar");
  var percent = status.querySelector(".upload-percent");

  function size(n) {
    return n >= 1048576 ? (n / 1048576).toFixed(1).replace(/\.0$/, "") + " MB" : Math.max(1, Math.round(n / 1024)) + " KB";
  }

  function items() { return Array.prototype.slice.call(list.children); }
  function sendable() { return items().filter(function (li) { return !li.classList.contains("refused"); }); }

  function setError(li, text) {
    var p = li.querySelector(".field-error");
    p.textContent = text;
    p.hidden = !text;
    li.classList.toggle("has-error", !!text);
  }

  function refuse(li, text) {
    li.classList.add("refused");
    setError(li, text.replace(/([^.!?])$/, "$1.") + " It will not be published; remove it or add another file.");
    li.querySelector(".upload-alt").required = false;
  }

  function renumber() {
    var all = items();
    all.forEach(function (li, i) {
      var name = li.querySelector(".upload-name").textContent;
      li.querySelector(".upload-heading").textContent = "Image " + (i + 1) + " of " + all.length + (li.classList.contains("refused") ? " (refused)" : "");
      li.querySelector("[data-move='-1']").disabled = i === 0;
      li.querySelector("[data-move='1']").disabled = i === all.length - 1;
      li.querySelector("[data-move='-1']").setAttribute("aria-label", "Move up: " + name);
      li.querySelector("[data-move='1']").setAttribute("aria-label", "Move down: " + name);
      li.querySelector("[data-remove]").setAttribute("aria-label", "Remove " + name);
      li.querySelector(".focal-x").setAttribute("aria-label", "Focal point x of " + name);
      li.querySelector(".focal-y").setAttribute("aria-label", "Focal point y of " + name);
    });
  }

  function showFocal(li) {
    var x = parseFloat(li.querySelector(".focal-x").value), y = parseFloat(li.querySelector(".focal-y").value);
    var dot = li.querySelector(".focal-dot");
    dot.hidden = isNaN(x) && isNaN(y);
    dot.style.left = ((isNaN(x) ? 0 : x) + 1) * 50 + "%";
    dot.style.top = (1 - (isNaN(y) ? 0 : y)) * 50 + "%";
  }

  function add(file) {
    var li = itemTemplate.content.firstElementChild.cloneNode(true);
    var id = "upload-" + (++counter);
    li.file = file;
    li.querySelector(".upload-name").textContent = file.name || "image";
    li.querySelector(".upload-alt").id = id + "-alt";
    li.querySelector(".upload-alt-label").htmlFor = id + "-alt";
    li.querySelector(".upload-heading").id = id + "-heading";
    li.setAttribute("aria-labelledby", id + "-heading");
    li.querySelector(".field-error").id = id + "-error";
    li.querySelector(".upload-alt").setAttribute("aria-describedby", id + "-error");
    var img = li.querySelector("img");
    list.appendChild(li);
    if (sendable().length > maxFiles) {
      refuse(li, "A work has at most " + maxFiles + " images.");
    } else if (file.type && accepted.indexOf(file.type) < 0) {
      refuse(li, (file.name || "This file") + " is " + (file.type.indexOf("image/") === 0 ? "a " + file.type.slice(6).toUpperCase() + " image" : "not an image (" + file.type + ")") +
             ": choose JPEG, PNG, WebP, GIF or AVIF.");
    } else if (file.size > maxBytes) {
      refuse(li, (file.name || "This file") + " is " + size(file.size) + "; the limit is " + size(maxBytes) + " per image.");
    }
    if (!li.classList.contains("refused")) {
      li.url = URL.createObjectURL(file);
      img.src = li.url;
      img.alt = "Preview of " + (file.name || "the image") + ": click or tap where crops should stay centred";
    } else {
      img.hidden = true;
    }
  }

  function counted() { note.textContent = sendable().length + " of at most " + maxFiles + " images will be published."; }

  function addFiles(files) {
    Array.prototype.forEach.call(files, add);
    renumber();
    counted();
  }

  picker.addEventListener("change", function () { addFiles(picker.files); picker.value = ""; });

  list.addEventListener("click", function (event) {
    var li = event.target.closest(".upload-item");
    if (!li) { return; }
    var move = event.target.closest("[data-move]");
    if (move) {
      var to = items().indexOf(li) + parseInt(move.dataset.move, 10);
      var ref = items()[to];
      if (ref) { list.insertBefore(li, to > items().indexOf(li) ? ref.nextSibling : ref); }
      renumber();
      var again = li.querySelector("[data-move='" + move.dataset.move + "']");
      (again.disabled ? li.querySelector("[data-move='" + -move.dataset.move + "']") : again).focus();
      note.textContent = li.querySelector(".upload-name").textContent + " is now image " + (items().indexOf(li) + 1) + ".";
      return;
    }
    if (event.target.closest("[data-remove]")) {
      if (li.url) { URL.revokeObjectURL(li.url); }
      var next = li.nextElementSibling || li.previousElementSibling;
      li.remove();
      renumber();
      counted();
      if (!list.querySelector(".refused") && message.classList.contains("errors")) { say(""); }
      (next ? next.querySelector("[data-remove]") : picker).focus();
      return;
    }
    if (event.target.tagName === "IMG") { // the focal point: -1..1, y up, as the number fields take it
      var r = event.target.getBoundingClientRect();
      li.querySelector(".focal-x").value = (((event.clientX - r.left) / r.width) * 2 - 1).toFixed(2);
      li.querySelector(".focal-y").value = (1 - ((event.clientY - r.top) / r.height) * 2).toFixed(2);
      showFocal(li);
    }
  });
  list.addEventListener("input", function (event) {
    var li = event.target.closest(".upload-item");
    if (event.target.matches(".focal-x, .focal-y")) { showFocal(li); }
    if (event.target.matches(".upload-alt") && !li.classList.contains("refused")) { setError(li, ""); }
  });

  // Drag to reorder (by the preview; the buttons do the same from the keyboard), and files dropped from outside.
  list.addEventListener("dragstart", function (event) {
    dragged = event.target.closest(".upload-item");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", "");
  });
  list.addEventListener("dragend", function () { dragged = null; renumber(); });
  uploader.addEventListener("dragover", function (event) {
    event.preventDefault();
    uploader.classList.add("dragging");
    var over = event.target.closest(".upload-item");
    if (dragged && over && over !== dragged) {
      var after = event.clientY > over.getBoundingClientRect().top + over.offsetHeight / 2;
      list.insertBefore(dragged, after ? over.nextSibling : over);
    }
  });
  uploader.addEventListener("dragleave", function () { uploader.classList.remove("dragging"); });
  uploader.addEventListener("drop", function (event) {
    event.preventDefault();
    uploader.classList.remove("dragging");
    if (!dragged && event.dataTransfer.files.length) { addFiles(event.dataTransfer.files); }
  });

  function say(text, trouble) { message.textContent = text; message.classList.toggle("errors", !!trouble); }

  function check() {
    var send = sendable(), first = null;
    if (!send.length) { say("Choose at least one image.", true); picker.focus(); return false; }
    send.forEach(function (li) {
      if (requireAlt && !li.querySelector(".upload-alt").value.trim()) {
        setError(li, "Alt text is required, so people who cannot see the image know what it shows.");
        first = first || li;
      }
    });
    if (first) {
      say("Write alt text for every image before publishing (see the messages next to the images).", true);
      first.querySelector(".upload-alt").focus();
      return false;
    }
    return true;
  }

  function answered(xhr, sent) {
    status.querySelector(".processing-bar").hidden = true;
    submit.disabled = false;
    var body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    if (body && body.ok) { say("Published."); window.location.assign(body.location); return; }
    if (!body) { // an HTML error page (too large, session expired ...): show its sentence
      var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var found = page.querySelector(".errors");
      say((found ? found.textContent.trim() : "The server answered " + xhr.status + ".") + " Your images and text are still here.", true);
      return;
    }
    var refused = 0;
    Object.keys(body.images || {}).forEach(function (n) {
      var li = sent[parseInt(n, 10) - 1];
      if (!li) { return; }
      if (body.images[n].code === "alt_text" || body.images[n].code === "focal_point") { setError(li, body.images[n].error); }
      else { refuse(li, body.images[n].error); refused++; }
    });
    renumber();
    counted();
    var lines = (body.errors || []).slice();
    if (refused) { lines.push(refused === 1 ? "One image was refused: see the reason next to it." : refused + " images were refused: see the reasons next to them."); }
    if (!lines.length) { lines.push("The work was not published: see the messages next to the images."); }
    say("Not published. " + lines.join(" "), true);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    say("");
    if (submit.disabled || !check()) { return; }
    var data = new FormData(form);
    var sent = sendable();
    sent.forEach(function (li, i) {
      var n = i + 1;
      data.append("image" + n, li.file, li.file.name);
      data.append("alt" + n, li.querySelector(".upload-alt").value);
      data.append("focal_x" + n, li.querySelector(".focal-x").value);
      data.append("focal_y" + n, li.querySelector(".focal-y").value);
    });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    status.querySelector(".upload-bar").hidden = false;
    uploadBar.value = 0;
    percent.textContent = "0%";
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) { return; }
      uploadBar.max = e.total;
      uploadBar.value = e.loaded;
      percent.textContent = Math.round((e.loaded / e.total) * 100) + "%";
    });
    xhr.upload.addEventListener("load", function () {
      uploadBar.value = uploadBar.max;
      percent.textContent = "100%";
      status.querySelector(".processing-bar").hidden = false;
    });
    xhr.addEventListener("load", function () { answered(xhr, sent); });
    xhr.addEventListener("error", function () {
      submit.disabled = false;
      status.querySelector(".processing-bar").hidden = true;
      say("The upload did not reach the server (is the connection down?). Your images and text are still here: try again.", true);
    });
    submit.disabled = true;
    xhr.send(data);
  });
})();
