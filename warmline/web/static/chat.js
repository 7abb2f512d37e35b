/* The customer's chat window. Everything shown comes from the conversation's event stream (or
 * the answer to a post, de-duplicated by seq), so a reload shows the same continuous chat. */
"use strict";

(function () {
  var W = window.Warmline;
  var $ = W.$;
  var el = W.el;
  var KEY = "warmline.chat";
  var chat = JSON.parse(sessionStorage.getItem(KEY) || "null"); // {id, token}
  var stream = null;
  var shown = {}; // seq -> element
  var pending = []; // local bubbles not yet confirmed: {text, node, key}
  var status = "BOT";
  var lastNotice = "";
  var inFlight = 0;

  function setWho(value) {
    status = value;
    $("who").textContent = {
      BOT: "Assistant", WAITING_FOR_AGENT: "Waiting for a person", WITH_AGENT: "With a person", CLOSED: "Chat ended",
    }[value] || value;
    $("who").className = "pill " + value.toLowerCase();
    $("typing").hidden = !(inFlight > 0 && value === "BOT");
    var closed = value === "CLOSED";
    $("composer").hidden = closed;
    $("end").hidden = closed || !chat;
  }

  function banner(title, text) {
    $("banner").hidden = !title;
    $("banner-title").textContent = title || "";
    $("banner-text").textContent = text || "";
  }

  function add(node) {
    var list = $("messages");
    list.appendChild(node);
    list.scrollTop = list.scrollHeight;
    return node;
  }

  function bubble(cls, who, text, seq) {
    return el("li", { class: "msg " + cls, "data-seq": seq || null },
      el("span", { class: "who", text: who }), el("p", { text: text }));
  }

  function system(text, cls) { add(el("li", { class: "sys " + (cls || ""), text: text })); }

  function delivery(node, text, failed) {
    var state = node.querySelector(".delivery") || node.appendChild(el("span", { class: "delivery small" }));
    state.textContent = text;
    state.classList.toggle("failed", !!failed);
  }

  /* One event, at most once, in seq order of arrival. */
  function onEvent(event) {
    if (shown[event.seq]) return;
    var b = event.body || {};
    var node = null;
    switch (event.type) {
      case "customer_message": {
        var match = pending.filter(function (p) { return p.text === b.text; })[0];
        if (match) {
          pending.splice(pending.indexOf(match), 1);
          node = match.node;
          node.setAttribute("data-seq", event.seq);
        } else {
          node = add(bubble("customer", "You", b.text, event.seq));
        }
        delivery(node, "Delivered");
        break;
      }
      case "bot_message":
        node = add(bubble("bot" + (b.kind === "handoff_notice" ? " notice" : ""), "Assistant", b.text, event.seq));
        if (b.kind === "handoff_notice") lastNotice = b.text;
        break;
      case "agent_message":
        node = add(bubble("agent", "Support agent", b.text, event.seq));
        break;
      case "escalated":
        setWho("WAITING_FOR_AGENT");
        if (b.mode && b.mode !== "live") banner("No one is available right now", lastNotice);
        else banner("Waiting for a person", lastNotice || "Someone from our team will join shortly.");
        break;
      case "claimed":
        setWho("WITH_AGENT");
        banner("", "");
        system("A person from our support team has joined the chat.", "joined");
        break;
      case "released":
      case "transferred":
        setWho("WAITING_FOR_AGENT");
        banner("Waiting for a person", "We're passing you to the right person; you keep your place and your conversation.");
        system(event.type === "transferred" ? "You're being transferred to another team." : "Your chat is back in the queue.");
        break;
      case "handed_back":
        setWho("BOT");
        banner("", "");
        system("The assistant is back. It has everything from this conversation.", "back");
        break;
      case "closed":
        setWho("CLOSED");
        banner("", "");
        system("This chat has ended. Thank you!");
        break;
      case "survey_answered":
        $("survey").hidden = true;
        break;
      default:
        return;
    }
    shown[event.seq] = node || true;
    if (event.type === "closed") $("survey").hidden = !!document.querySelector("[data-surveyed]");
  }

  function open() {
    if (stream) return;
    var handlers = {};
    ["customer_message", "bot_message", "agent_message", "escalated", "claimed", "released", "transferred",
      "handed_back", "closed", "survey_answered"].forEach(function (type) { handlers[type] = onEvent; });
    stream = W.stream("/v1/conversations/" + chat.id + "/stream", chat.token, handlers, function (state) {
      $("chat-error").textContent = state === "live" ? "" : "Reconnecting…";
    });
    setWho(status);
  }

  function ensureChat() {
    if (chat) return Promise.resolve(chat);
    var body = { channel: "web" };
    var name = new URLSearchParams(location.search).get("name");
    if (name) body.customer_name = name.slice(0, 120);
    return W.api("/v1/conversations", { method: "POST", body: body }).then(function (data) {
      chat = { id: data.conversation_id, token: data.customer_token };
      sessionStorage.setItem(KEY, JSON.stringify(chat));
      open();
      return chat;
    });
  }

  function post(item) {
    inFlight += 1;
    setWho(status);
    delivery(item.node, "Sending…");
    return ensureChat().then(function () {
      return W.api("/v1/conversations/" + chat.id + "/messages", {
        method: "POST", token: chat.token, key: item.key, body: { text: item.text },
      });
    }).then(function (data) {
      var first = data.events[0];
      if (first && first.type === "customer_message" && !shown[first.seq] && pending.indexOf(item) >= 0) {
        pending.splice(pending.indexOf(item), 1);
        item.node.setAttribute("data-seq", first.seq);
        shown[first.seq] = item.node;
        delivery(item.node, "Delivered");
      }
      data.events.forEach(onEvent);
      $("chat-error").textContent = "";
    }).catch(function (error) {
      delivery(item.node, "Not delivered: " + error.message, true);
      item.node.appendChild(el("button", {
        type: "button", class: "link retry", onclick: function (event) { event.currentTarget.remove(); post(item); },
      }, "Retry"));
    }).then(function () {
      inFlight -= 1;
      setWho(status);
    });
  }

  $("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("message").value;
    if (!text.trim()) return;
    $("message").value = "";
    var item = { text: text, key: W.uuid(), node: add(bubble("customer", "You", text)) };
    pending.push(item);
    post(item);
  });
  $("message").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("end").addEventListener("click", function () {
    if (!chat || !window.confirm("End this chat?")) return;
    W.api("/v1/conversations/" + chat.id + "/close", { method: "POST", token: chat.token, body: { reason: "customer_ended" } })
      .then(function (data) { data.events.forEach(onEvent); })
      .catch(function (error) { $("chat-error").textContent = error.message; });
  });
  $("survey").addEventListener("submit", function (event) {
    event.preventDefault();
    var score = parseInt(event.submitter.value, 10);
    W.api("/v1/conversations/" + chat.id + "/survey", { method: "POST", token: chat.token, body: { score: score } })
      .then(function () { $("survey").hidden = true; $("survey").setAttribute("data-surveyed", ""); system("Thanks for your feedback."); })
      .catch(function (error) { $("chat-error").textContent = error.message; });
  });

  if (chat) {
    W.api("/v1/conversations/" + chat.id, { token: chat.token }).then(function (data) {
      setWho(data.state.status);
      open();
    }).catch(function () {
      sessionStorage.removeItem(KEY); // an old chat from another server: start afresh
      chat = null;
      setWho("BOT");
    });
  } else {
    setWho("BOT");
  }
})();
