// Solves the sign-up form's proof-of-work puzzle: a nonce such that sha256(challenge + nonce) starts with
// `bits` zero bits. The server checks it; people without JavaScript can solve it by hand (see the page).
(function () {
  "use strict";
  var box = document.querySelector(".pow[data-challenge]");
  if (!box || !window.crypto || !window.crypto.subtle) { return; }
  var challenge = box.getAttribute("data-challenge");
  var bits = parseInt(box.getAttribute("data-bits"), 10);
  var input = document.getElementById("nonce");
  var status = box.querySelector(".pow-status");
  var encoder = new TextEncoder();
  function zeroBits(bytes) {
    var n = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { n += 8; continue; }
      return n + Math.clz32(bytes[i]) - 24;
    }
    return n;
  }
  async function solve() {
    status.textContent = "Solving the anti-spam puzzle…";
    for (var nonce = 0; ; nonce++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge + nonce));
      if (zeroBits(new Uint8Array(digest)) >= bits) {
        input.value = String(nonce);
        status.textContent = "Puzzle solved.";
        return;
      }
    }
  }
  solve();
})();
