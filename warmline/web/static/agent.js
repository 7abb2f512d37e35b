/* The agent workspace: queues with live counts, claim, and the conversation with the handoff
 * payload beside the transcript and the reply box. */
"use strict";

(function () {
  var W = window.Warmline;
  var $ = W.$;
  var el = W.el;
  var token = null;
  var me = null;
  var teams = [];
  var queues = [];
  var current = null; // {id, state, stream, draftId, draftText, seen: Set}
  var refreshTimer = null;

  var LABELS = {
    customer_message: "Customer", bot_message: "Assistant", agent_message: "Agent", note_added: "Internal note",
  };
  var HIDDEN = { turn_analysed: 1, policy_decided: 1, routed: 1, payload_built: 1, conversation_started: 1, survey_answered: 1 };

  function setLive(status) {
    var live = $("live");
    live.textContent = status === "live" ? "Live" : "Reconnecting…";
    live.className = "live is-" + status;
  }

  /* -- queues -------------------------------------------------------------------------- */

  function loadQueues() {
    return W.api("/v1/queues", { token: token }).then(function (data) {
      queues = data.queues;
      teams = queues.map(function (q) { return q.team; });
      if ($("confirm").open && $("confirm").dataset.kind === "transfer" && !$("transfer-team").options.length) {
        fillTransferTeams();
      }
      var mine = queues.filter(function (q) { return q.mine; });
      return Promise.all(mine.map(function (q) {
        return W.api("/v1/queues/" + encodeURIComponent(q.team), { token: token }).then(function (detail) {
          q.conversations = detail.conversations;
          return q;
        });
      })).then(renderQueues);
    }).then(loadMine).catch(function (error) { $("queue-list").textContent = error.message; });
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(loadQueues, 200);
  }

  function renderQueues(mine) {
    var list = $("queue-list");
    list.textContent = "";
    mine.forEach(function (q) {
      var box = el("section", { class: "queue", "data-team": q.team, "aria-label": q.team + " queue" });
      box.appendChild(el("h3", {}, q.team, el("span", { class: "count", "data-testid": "waiting-" + q.team }, " " + q.waiting + " waiting")));
      box.appendChild(el("p", { class: "muted small" },
        "longest wait " + W.duration(q.longest_wait_s) + " · " + q.agents_online + " online · " + q.free_capacity + " free"));
      var ul = el("ul", { class: "plain" });
      (q.conversations || []).forEach(function (c) {
        var name = c.customer_name || "Customer " + c.id.slice(-6);
        ul.appendChild(el("li", { class: "queue-item" },
          el("span", { class: "qi-name", text: name }),
          el("span", { class: "qi-meta small" },
            el("span", { "data-since": c.waiting_since || "" }, "waiting " + W.duration(W.since(c.waiting_since))),
            " · P" + c.priority + " · ",
            el("span", { "data-sla": c.sla_due_at || "", class: slaClass(c.sla_due_at) }, W.slaText(c.sla_due_at))),
          el("button", { type: "button", class: "claim", "aria-label": "Claim conversation with " + name, onclick: function () { claim(c.id); } }, "Claim")));
      });
      box.appendChild(ul);
      list.appendChild(box);
    });
    if (!mine.length) list.appendChild(el("p", { class: "muted", text: "You are not in any team's queue." }));
  }

  function slaClass(iso) {
    return iso && Date.parse(iso) < Date.now() ? "overdue" : "";
  }

  function loadMine() {
    return W.api("/v1/conversations?status=WITH_AGENT&limit=100", { token: token }).then(function (data) {
      var ul = $("mine");
      ul.textContent = "";
      data.conversations.filter(function (c) { return c.agent_id === me.id; }).forEach(function (c) {
        ul.appendChild(el("li", {}, el("button", {
          type: "button", class: "link", onclick: function () { openConversation(c.id); },
        }, c.customer_name || "Customer " + c.id.slice(-6))));
      });
    });
  }

  function tick() {
    document.querySelectorAll("[data-since]").forEach(function (node) {
      if (node.dataset.since) node.textContent = "waiting " + W.duration(W.since(node.dataset.since));
    });
    document.querySelectorAll("[data-sla]").forEach(function (node) {
      node.textContent = W.slaText(node.dataset.sla);
      node.className = slaClass(node.dataset.sla);
    });
  }

  function claim(id) {
    return W.api("/v1/conversations/" + id + "/claim", { method: "POST", token: token })
      .then(function () { scheduleRefresh(); return openConversation(id); })
      .catch(function (error) { alertError(error); scheduleRefresh(); });
  }

  function claimNext() {
    var candidates = queues.filter(function (q) { return q.mine && q.waiting > 0; });
    if (!candidates.length) { toast("No one is waiting in your queues."); return; }
    candidates.sort(function (a, b) { return b.longest_wait_s - a.longest_wait_s; });
    W.api("/v1/queues/" + encodeURIComponent(candidates[0].team) + "/next", { method: "POST", token: token })
      .then(function (data) {
        scheduleRefresh();
        if (!data) { toast("No one is waiting in your queues."); return; }
        openConversation(data.state.id);
      }).catch(alertError);
  }

  function toast(message) { $("queue-list").setAttribute("data-note", message); $("live").textContent = message; }
  function alertError(error) { $("reply-error").textContent = error.message; toast(error.message); }

  /* -- the conversation ------------------------------------------------------------------ */

  function openConversation(id) {
    if (current && current.stream) current.stream.close();
    current = { id: id, state: null, stream: null, draftId: null, draftText: null, seen: {} };
    $("empty").hidden = true;
    $("conversation").hidden = false;
    $("transcript").textContent = "";
    $("reply-text").value = "";
    $("reply-error").textContent = "";
    $("draft-flag").hidden = true;
    var mine = current;
    return Promise.all([loadState(), loadPayload(true)]).then(function () {
      if (current !== mine) return;
      mine.stream = W.stream("/v1/conversations/" + id + "/stream", token, streamHandlers(), setLive);
      $("reply-text").focus();
    });
  }

  function loadState() {
    var id = current.id;
    return W.api("/v1/conversations/" + id, { token: token }).then(function (data) {
      if (!current || current.id !== id) return;
      current.state = data.state;
      var s = data.state;
      $("conv-title").textContent = (s.customer_name || "Customer " + s.id.slice(-6)) + (s.team ? " · " + s.team : "");
      $("conv-status").textContent = s.status.replace(/_/g, " ").toLowerCase();
      var holding = s.status === "WITH_AGENT" && s.agent_id === me.id;
      ["send", "note", "transfer", "resolve", "handback", "reply-text"].forEach(function (name) { $(name).disabled = !holding && name !== "note"; });
      $("resolve").disabled = s.status === "CLOSED";
      $("transfer").disabled = !(s.status === "WITH_AGENT" || s.status === "WAITING_FOR_AGENT");
    });
  }

  function loadPayload(fillDraft) {
    var id = current.id;
    return W.api("/v1/conversations/" + id + "/payload", { token: token }).then(function (data) {
      if (!current || current.id !== id) return;
      var p = W.renderPayload($("payload"), data.payload);
      if (fillDraft && p.draft && !$("reply-text").value) {
        $("reply-text").value = p.draft.text;
        current.draftId = p.draft.id;
        current.draftText = p.draft.text;
        $("draft-flag").hidden = false;
      }
    }).catch(function (error) {
      if (error.code === "no_payload") W.renderPayload($("payload"), null);
      else throw error;
    });
  }

  function streamHandlers() {
    var handlers = {};
    ["conversation_started", "customer_message", "bot_message", "agent_message", "note_added", "turn_analysed",
      "policy_decided", "routed", "payload_built", "escalated", "claimed", "released", "transferred",
      "handed_back", "closed", "survey_answered"].forEach(function (type) {
      handlers[type] = function (event) { onEvent(event); };
    });
    return handlers;
  }

  function onEvent(event) {
    if (!current || event.conversation_id !== current.id || current.seen[event.seq]) return;
    current.seen[event.seq] = true;
    if (event.type === "payload_built") loadPayload(false);
    if (["escalated", "claimed", "released", "transferred", "handed_back", "closed"].indexOf(event.type) >= 0) {
      loadState();
      scheduleRefresh();
    }
    if (HIDDEN[event.type]) return;
    $("transcript").appendChild(renderEvent(event));
    var box = $("transcript");
    box.scrollTop = box.scrollHeight;
  }

  function systemLine(event) {
    var b = event.body;
    switch (event.type) {
      case "escalated": return "Handed off to " + b.team + " (" + b.trigger + "): " + b.reason + (b.mode && b.mode !== "live" ? " · offered " + b.mode : "");
      case "claimed": return (b.agent_id === me.id ? "You" : b.agent_id) + " joined";
      case "released": return "Released back to the queue" + (b.reason ? ": " + b.reason : "");
      case "transferred": return "Transferred " + b.from_team + " → " + b.to_team + ": " + b.reason;
      case "handed_back": return "Handed back to the assistant. Note: " + b.note;
      case "closed": return "Closed (" + b.reason + ")";
      default: return event.type;
    }
  }

  function renderEvent(event) {
    var kind = event.type.split("_")[0];
    if (!LABELS[event.type]) {
      return el("li", { class: "sys", "data-seq": event.seq }, el("span", { text: systemLine(event) }), el("time", { text: W.time(event.at) }));
    }
    var label = LABELS[event.type];
    if (event.type === "agent_message") label = event.body.agent_id === me.id ? "You" : "Agent " + event.body.agent_id;
    if (event.type === "bot_message" && event.body.kind && event.body.kind !== "answer") label += " · " + event.body.kind.replace(/_/g, " ");
    return el("li", { class: "msg " + (event.type === "note_added" ? "note" : kind), "data-seq": event.seq },
      el("span", { class: "who" }, label, " ", el("time", { text: W.time(event.at) })),
      el("p", { text: event.body.text }));
  }

  function send(asNote) {
    var text = $("reply-text").value.trim();
    if (!text || !current) return;
    var path = "/v1/conversations/" + current.id + (asNote ? "/notes" : "/agent-messages");
    var body = { text: text };
    if (!asNote && current.draftId) body.draft_id = current.draftId;
    $("send").disabled = true;
    W.api(path, { method: "POST", token: token, body: body }).then(function (data) {
      data.events.forEach(onEvent);
      $("reply-text").value = "";
      $("reply-error").textContent = "";
      if (!asNote) { current.draftId = null; $("draft-flag").hidden = true; }
    }).catch(function (error) { $("reply-error").textContent = error.message; })
      .then(function () { $("send").disabled = false; $("reply-text").focus(); });
  }

  /* -- transfer, resolve, hand back: one click, then a confirmation ------------------------ */

  function confirmAction(kind) {
    if (!current || $(kind).disabled) return;
    var dialog = $("confirm");
    $("confirm-error").textContent = "";
    $("transfer-fields").hidden = kind !== "transfer";
    $("handback-fields").hidden = kind !== "handback";
    var title = { transfer: "Transfer to another team", resolve: "Resolve this conversation", handback: "Hand back to the assistant" }[kind];
    $("confirm-title").textContent = title;
    $("confirm-text").textContent = {
      transfer: "The conversation goes to the other team's queue with its payload.",
      resolve: "The customer is told the conversation is resolved and gets a one-question survey.",
      handback: "The assistant resumes the conversation with everything so far, including your note.",
    }[kind];
    $("confirm-ok").textContent = { transfer: "Transfer", resolve: "Resolve", handback: "Hand back" }[kind];
    dialog.dataset.kind = kind;
    if (kind === "transfer") fillTransferTeams();
    dialog.showModal();
    (kind === "transfer" ? $("transfer-team") : kind === "handback" ? $("handback-note") : $("confirm-ok")).focus();
  }

  // The teams come with the queues, which may still be loading when an agent opens the dialog:
  // loadQueues fills it again when they arrive.
  function fillTransferTeams() {
    var select = $("transfer-team");
    select.textContent = "";
    teams.filter(function (t) { return !current || !current.state || t !== current.state.team; }).forEach(function (t) {
      select.appendChild(el("option", { value: t, text: t }));
    });
  }

  function onConfirm(event) {
    var dialog = $("confirm");
    if (event.submitter && event.submitter.value !== "ok") return;
    event.preventDefault();
    var kind = dialog.dataset.kind;
    var base = "/v1/conversations/" + current.id;
    var request;
    if (kind === "transfer") {
      var reason = $("transfer-reason").value.trim();
      if (!reason) { $("confirm-error").textContent = "Say why you transfer it."; return; }
      request = W.api(base + "/transfer", { method: "POST", token: token, body: { team: $("transfer-team").value, reason: reason } });
    } else if (kind === "handback") {
      var note = $("handback-note").value.trim();
      if (!note) { $("confirm-error").textContent = "Write a short note for the assistant."; return; }
      request = W.api(base + "/handback", { method: "POST", token: token, body: { note: note } });
    } else {
      request = W.api(base + "/resolve", { method: "POST", token: token, body: { reason: "resolved" } });
    }
    request.then(function (data) {
      data.events.forEach(onEvent);
      dialog.close();
      $("handback-note").value = "";
      $("transfer-reason").value = "";
      loadState();
      scheduleRefresh();
    }).catch(function (error) { $("confirm-error").textContent = error.message; });
  }

  /* -- wiring ------------------------------------------------------------------------------ */

  function start(who, staffToken) {
    me = who;
    token = staffToken;
    $("me").textContent = me.name + " · " + me.role + (me.teams.length ? " · " + me.teams.join(", ") : "");
    $("presence").addEventListener("change", function () {
      W.api("/v1/agents/me/presence", { method: "PUT", token: token, body: { presence: $("presence").value } }).then(scheduleRefresh);
    });
    W.api("/v1/agents/me/presence", { method: "PUT", token: token, body: { presence: "online" } }).catch(function () {});
    $("next").addEventListener("click", claimNext);
    $("reply").addEventListener("submit", function (event) { event.preventDefault(); send(false); });
    $("note").addEventListener("click", function () { send(true); });
    $("reply-text").addEventListener("input", function () {
      if (current && current.draftText !== null) $("draft-flag").textContent = current.draftId ? ($("reply-text").value === current.draftText ? "draft from the handoff, edit freely" : "edited draft") : "";
    });
    ["transfer", "resolve", "handback"].forEach(function (kind) {
      $(kind).addEventListener("click", function () { confirmAction(kind); });
    });
    $("confirm-form").addEventListener("submit", onConfirm);
    document.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && document.activeElement === $("reply-text")) {
        event.preventDefault();
        send(false);
      } else if (event.altKey && !event.ctrlKey && (event.code === "KeyB")) {
        event.preventDefault();
        confirmAction("handback");
      } else if (event.altKey && !event.ctrlKey && (event.code === "KeyN")) {
        event.preventDefault();
        claimNext();
      }
    });
    var inbox = {};
    Object.keys(streamHandlers()).forEach(function (type) { inbox[type] = scheduleRefresh; });
    W.stream("/v1/inbox/stream", token, inbox, setLive);
    loadQueues();
    setInterval(tick, 1000);
    var wanted = new URLSearchParams(location.search).get("conversation");
    if (wanted) openConversation(wanted);
  }

  W.signIn(["agent", "lead"], start);
})();
