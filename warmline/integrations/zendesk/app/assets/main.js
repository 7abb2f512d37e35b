/* Finds the ticket's Warmline conversation (the ticket's external id, or the conversation
   ticket field on a messaging ticket) and shows its handoff payload. */
(function () {
  "use strict";
  var client = ZAFClient.init();
  var root = document.getElementById("warmline");

  function conversationId(settings) {
    var fields = ["ticket.externalId"];
    if (settings.conversation_field_id) {
      fields.push("ticket.customField:custom_field_" + settings.conversation_field_id);
    }
    return client.get(fields).then(function (data) {
      return data["ticket.externalId"] ||
        (settings.conversation_field_id && data["ticket.customField:custom_field_" + settings.conversation_field_id]) || "";
    });
  }

  client.invoke("resize", { width: "100%", height: "560px" });
  client.metadata().then(function (metadata) {
    var settings = metadata.settings;
    return conversationId(settings).then(function (id) {
      if (!id) {
        WarmlinePanel.message(root, "No Warmline handoff for this ticket.");
        return null;
      }
      var base = String(settings.warmline_url).replace(/\/+$/, "");
      return client.request({
        url: base + "/v1/conversations/" + encodeURIComponent(id) + "/payload",
        type: "GET",
        dataType: "json",
        secure: true,
        headers: { Authorization: "Bearer {{setting.warmline_token}}" }
      }).then(function (answer) {
        WarmlinePanel.render(root, answer.payload);
      }, function (error) {
        WarmlinePanel.message(root, error && error.status === 404 ?
          "No Warmline handoff for this ticket." : "Warmline could not be reached.");
      });
    });
  });
})();
