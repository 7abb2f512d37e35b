/* Renders a Warmline handoff payload: summary, draft reply, next action, citations.
   Text only (textContent): nothing from the payload is parsed as HTML. */
var WarmlinePanel = (function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function section(root, title, body) {
    var block = el("section", "block");
    block.appendChild(el("h2", null, title));
    block.appendChild(body);
    root.appendChild(block);
  }

  function message(root, text) {
    root.textContent = "";
    root.appendChild(el("p", "muted", text));
  }

  function render(root, payload) {
    root.textContent = "";
    if (!payload) { message(root, "No Warmline handoff for this ticket."); return; }
    section(root, "Summary", el("p", "summary", payload.summary || ""));
    var draft = payload.draft && payload.draft.text ? payload.draft.text : (typeof payload.draft === "string" ? payload.draft : "");
    section(root, "Draft reply", el("p", "draft", draft || "No draft."));
    var next = payload.next_action || {};
    var action = el("div", "next-action");
    action.appendChild(el("p", "action", next.action || "No next action."));
    if (next.reasoning) { action.appendChild(el("p", "muted", next.reasoning)); }
    section(root, "Next action", action);
    var list = el("ol", "citations");
    (payload.citations || []).forEach(function (citation) {
      var item = el("li");
      item.appendChild(el("strong", null, citation.title || citation.article_id));
      if (citation.passage) { item.appendChild(el("p", "muted", citation.passage)); }
      list.appendChild(item);
    });
    if (!list.childNodes.length) { list.appendChild(el("li", "muted", "No citations.")); }
    section(root, "Citations", list);
  }

  return { render: render, message: message };
})();
if (typeof module !== "undefined") { module.exports = WarmlinePanel; }
