// The work viewer (templates/work.html): a work image's link opens its large rendition full screen in the
// page's <dialog id="viewer">: zoom with the wheel, a pinch or the +/- buttons and keys, step with the arrow
// keys, the buttons or a swipe, Esc closes and focus goes back to the link. Without this script (or without
// <dialog>) every link still leads to the large file itself.
(() => {
  "use strict";
  const dialog = document.getElementById("viewer");
  const links = Array.from(document.querySelectorAll("a.work-image"));
  if (!dialog || !links.length || typeof dialog.showModal !== "function") return;
  const stage = dialog.querySelector(".stage");
  const img = stage.appendChild(document.createElement("img"));  // made here: an <img> needs a src
  const position = dialog.querySelector(".position");
  const altText = dialog.querySelector(".alt-text");
  const button = (act) => dialog.querySelector(`button[data-act="${act}"]`);
  const MIN = 1, MAX = 8, STEP = 1.25, SWIPE = 50;
  let index = 0, scale = 1, opener = null;

  // Size of the image at scale 1: all of it inside the stage, never enlarged past its own pixels.
  function fitted() {
    const link = links[index];
    const w = Number(link.dataset.width) || 1, h = Number(link.dataset.height) || 1;
    const k = Math.min(stage.clientWidth / w, stage.clientHeight / h, 1);
    return [w * k, h * k];
  }

  // Lay the image out at `scale`, keeping the point under (fx, fy) (fractions of the stage) in place.
  function layout(fx = 0.5, fy = 0.5) {
    const px = (stage.scrollLeft + stage.clientWidth * fx) / Math.max(stage.scrollWidth, 1);
    const py = (stage.scrollTop + stage.clientHeight * fy) / Math.max(stage.scrollHeight, 1);
    const [w, h] = fitted();
    img.style.width = `${Math.round(w * scale)}px`;
    img.style.height = `${Math.round(h * scale)}px`;
    stage.scrollLeft = px * stage.scrollWidth - stage.clientWidth * fx;
    stage.scrollTop = py * stage.scrollHeight - stage.clientHeight * fy;
    dialog.dataset.zoom = scale.toFixed(2);
    button("zoom-out").setAttribute("aria-disabled", String(scale <= MIN));
    button("zoom-in").setAttribute("aria-disabled", String(scale >= MAX));
  }

  function zoom(to, fx, fy) {
    scale = Math.min(MAX, Math.max(MIN, to));
    layout(fx, fy);
  }

  function show(i) {
    index = Math.min(links.length - 1, Math.max(0, i));
    const link = links[index];
    const thumb = link.querySelector("img");
    img.src = link.href;
    img.alt = thumb ? thumb.alt : "";
    position.textContent = links.length > 1 ? `Image ${index + 1} of ${links.length}` : "The image";
    altText.textContent = img.alt || "No image description.";
    if (links.length > 1) {
      button("prev").setAttribute("aria-disabled", String(index === 0));
      button("next").setAttribute("aria-disabled", String(index === links.length - 1));
    }
    scale = 1;
    layout();
  }

  function step(by) {
    if (index + by >= 0 && index + by < links.length) show(index + by);
  }

  function toggleAlt() {
    const open = altText.hidden;
    altText.hidden = !open;
    button("alt").setAttribute("aria-expanded", String(open));
    layout();
  }

  for (const link of links) {
    link.addEventListener("click", (event) => {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      opener = link;
      dialog.showModal();
      show(links.indexOf(link));
    });
  }
  dialog.addEventListener("close", () => {
    img.removeAttribute("src");
    if (opener) opener.focus();
  });

  const actions = {
    prev: () => step(-1), next: () => step(1), close: () => dialog.close(), alt: toggleAlt,
    "zoom-in": () => zoom(scale * STEP), "zoom-out": () => zoom(scale / STEP),
  };
  dialog.addEventListener("click", (event) => {
    const target = event.target.closest("button[data-act]");
    if (target && target.getAttribute("aria-disabled") !== "true") actions[target.dataset.act]();
  });

  document.addEventListener("keydown", (event) => {
    if (!dialog.open || event.ctrlKey || event.metaKey || event.altKey) return;
    const keys = {
      ArrowLeft: () => step(-1), ArrowRight: () => step(1), "+": actions["zoom-in"], "=": actions["zoom-in"],
      "-": actions["zoom-out"], 0: () => zoom(1),
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
    }
  });

  // The wheel (and a trackpad pinch, which browsers send as ctrl+wheel) zooms around the pointer; the page
  // behind never scrolls.
  dialog.addEventListener("wheel", (event) => {
    event.preventDefault();
    const box = stage.getBoundingClientRect();
    const factor = Math.exp(-event.deltaY * (event.ctrlKey ? 0.01 : 0.002));
    zoom(scale * factor, (event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
  }, { passive: false });
  stage.addEventListener("dblclick", (event) => {
    const box = stage.getBoundingClientRect();
    zoom(scale > 1 ? 1 : 2.5, (event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
  });

  // Touch and mouse: two pointers pinch, one pointer drags the zoomed image or swipes to the next one.
  const pointers = new Map();
  let pinch = null, drag = null;
  const distance = ([a, b]) => Math.hypot(a.x - b.x, a.y - b.y);
  stage.addEventListener("pointerdown", (event) => {
    stage.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pointers.size === 2) {
      pinch = { distance: distance([...pointers.values()]), scale };
      drag = null;
    } else if (pointers.size === 1) {
      drag = { x: event.clientX, y: event.clientY, left: stage.scrollLeft, top: stage.scrollTop };
    }
  });
  stage.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId)) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pinch && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const box = stage.getBoundingClientRect();
      zoom(pinch.scale * distance([a, b]) / pinch.distance,
           ((a.x + b.x) / 2 - box.left) / box.width, ((a.y + b.y) / 2 - box.top) / box.height);
    } else if (drag && scale > 1) {
      stage.scrollLeft = drag.left - (event.clientX - drag.x);
      stage.scrollTop = drag.top - (event.clientY - drag.y);
    }
  });
  const release = (event) => {
    if (!pointers.has(event.pointerId)) return;
    if (drag && scale === 1 && pointers.size === 1 && event.type === "pointerup") {
      const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (Math.abs(dx) > SWIPE && Math.abs(dx) > 1.5 * Math.abs(dy)) step(dx < 0 ? 1 : -1);
    }
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = null;
    if (pointers.size === 0) drag = null;
  };
  stage.addEventListener("pointerup", release);
  stage.addEventListener("pointercancel", release);
  window.addEventListener("resize", () => { if (dialog.open) layout(); });
})();
