/* Warmline chat launcher: add
 *   <script src="https://YOUR-WARMLINE/web/launcher.js" async></script>
 * to any page. It adds a "Chat with us" button that opens the Warmline chat in a frame.
 * Options as data attributes on the script tag: data-label, data-position ("left"|"right"). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || document.getElementById("warmline-launcher")) return;
  var origin = new URL(script.src).origin;
  var label = script.getAttribute("data-label") || "Chat with us";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";

  var button = document.createElement("button");
  button.id = "warmline-launcher";
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "warmline-chat-frame");
  var b = button.style;
  b.position = "fixed"; b.bottom = "20px"; b[side] = "20px"; b.zIndex = "2147483000";
  b.font = "600 16px system-ui, sans-serif"; b.padding = "12px 18px"; b.borderRadius = "24px";
  b.border = "2px solid #ffffff"; b.background = "#0b57d0"; b.color = "#ffffff"; b.cursor = "pointer";
  b.boxShadow = "0 2px 8px rgba(0,0,0,.3)";

  var frame = null;
  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "warmline-chat-frame";
      frame.title = "Support chat";
      frame.src = origin + "/chat";
      var f = frame.style;
      f.position = "fixed"; f.bottom = "76px"; f[side] = "20px"; f.zIndex = "2147483000";
      f.width = "min(380px, calc(100vw - 40px))"; f.height = "min(600px, calc(100vh - 100px))";
      f.border = "1px solid #8a94a0"; f.borderRadius = "12px"; f.background = "#ffffff";
      f.boxShadow = "0 4px 16px rgba(0,0,0,.25)";
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    var open = !frame.hidden;
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "Close chat" : label;
    if (open) frame.focus();
  });
  document.body.appendChild(button);
})();
