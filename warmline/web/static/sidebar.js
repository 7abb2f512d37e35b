/* The sidebar: the handoff payload panel alone, 360 px wide, for desks that embed a side panel
 * next to their own reply box (Zendesk, Salesforce, ServiceNow, Intercom). */
"use strict";

(function () {
  var W = window.Warmline;
  var $ = W.$;
  var conversation = new URLSearchParams(location.search).get("conversation");

  function start(me, token) {
    if (!conversation) {
      W.renderPayload($("payload"), null, { emptyText: "No conversation given: open /sidebar?conversation=ID." });
      return;
    }
    function load() {
      W.api("/v1/conversations/" + encodeURIComponent(conversation) + "/payload", { token: token }).then(function (data) {
        W.renderPayload($("payload"), data.payload, { withDraft: true });
      }).catch(function (error) {
        W.renderPayload($("payload"), null, { emptyText: error.code === "no_payload" ? "The assistant has not handed this conversation off." : error.message });
      });
    }
    function state() {
      W.api("/v1/conversations/" + encodeURIComponent(conversation), { token: token }).then(function (data) {
        $("conv-status").textContent = data.state.status.replace(/_/g, " ").toLowerCase() + (data.state.team ? " · " + data.state.team : "");
      }).catch(function () {});
    }
    load();
    state();
    var handlers = {};
    ["payload_built", "escalated", "claimed", "released", "transferred", "handed_back", "closed"].forEach(function (type) {
      handlers[type] = function () { if (type === "payload_built") load(); else state(); };
    });
    W.stream("/v1/conversations/" + encodeURIComponent(conversation) + "/stream", token, handlers, function (status) {
      $("live").textContent = status === "live" ? "Live" : "Reconnecting…";
    });
  }

  W.signIn(["agent", "lead", "admin"], start);
})();
