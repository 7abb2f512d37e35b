/* Chatwoot's Dashboard App: Chatwoot posts the conversation on view to this frame (an
 * "appContext" message, after "chatwoot-dashboard-app:fetch-info"); the Warmline conversation is
 * named in its custom attributes once the bot hands off, and the sidebar shows its payload. */
"use strict";

(function () {
  var status = document.getElementById("chatwoot-status");

  function show(text) { status.textContent = text; }

  window.addEventListener("message", function (event) {
    var message;
    try { message = typeof event.data === "string" ? JSON.parse(event.data) : event.data; } catch (e) { return; }
    if (!message || message.event !== "appContext" || !message.data) return;
    var conversation = message.data.conversation || {};
    var attributes = conversation.custom_attributes || {};
    var id = attributes.warmline_conversation_id;
    if (!id) {
      show("The assistant has not handed this conversation off: no Warmline payload yet.");
      return;
    }
    location.replace("/sidebar?conversation=" + encodeURIComponent(id));
  });
  window.parent.postMessage("chatwoot-dashboard-app:fetch-info", "*");
})();
