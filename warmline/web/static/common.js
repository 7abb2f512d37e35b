/* Warmline pages: the JSON API client, safe DOM building, resumable streams and the payload
 * panel shared by the agent workspace and the sidebar. Plain JavaScript, no build step.
 * Text from customers is only ever set with textContent: it can never become markup. */
"use strict";

(function () {
  var W = {};

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  W.uuid = uuid;

  /* One call to the JSON API. Writes carry an Idempotency-Key, so a retry never doubles. */
  W.api = function (path, options) {
    options = options || {};
    var headers = { Accept: "application/json" };
    if (options.token) headers.Authorization = "Bearer " + options.token;
    var method = options.method || "GET";
    if (method !== "GET") headers["Idempotency-Key"] = options.key || uuid();
    var init = { method: method, headers: headers };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    return fetch(path, init).then(function (response) {
      if (response.status === 204) return null;
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) return data;
        var error = new Error((data.error && data.error.message) || "HTTP " + response.status);
        error.code = data.error ? data.error.code : "http_" + response.status;
        error.status = response.status;
        throw error;
      });
    });
  };

  /* el("p", {class: "x"}, "text", child): children are text nodes or elements, never HTML. */
  W.el = function (tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name.indexOf("on") === 0) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    }
    return node;
  };

  W.$ = function (id) { return document.getElementById(id); };

  W.duration = function (seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return seconds + "s";
    if (seconds < 3600) return Math.floor(seconds / 60) + "m " + (seconds % 60) + "s";
    return Math.floor(seconds / 3600) + "h " + Math.floor((seconds % 3600) / 60) + "m";
  };

  W.since = function (iso) { return iso ? (Date.now() - Date.parse(iso)) / 1000 : 0; };

  W.slaText = function (iso) {
    if (!iso) return "no SLA";
    var left = (Date.parse(iso) - Date.now()) / 1000;
    return left >= 0 ? "SLA in " + W.duration(left) : "SLA overdue " + W.duration(-left);
  };

  W.time = function (iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  };

  /* Staff token for this tab: #access_token= (desk iframes) wins, then sessionStorage. The
   * fragment never reaches a server, so the token is in no access log; it is removed from the
   * address at once. (?access_token= still works for old desk set-ups, and is removed too.) */
  W.staffToken = function () {
    var params = new URLSearchParams(location.search);
    var fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
    var fromUrl = fragment.get("access_token") || params.get("access_token");
    if (fromUrl) {
      sessionStorage.setItem("warmline.staffToken", fromUrl);
      params.delete("access_token");
      fragment.delete("access_token");
      var query = params.toString();
      var hash = fragment.toString();
      history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + (hash ? "#" + hash : ""));
    }
    return sessionStorage.getItem("warmline.staffToken");
  };

  /* Show the sign-in form until a staff token with one of ``roles`` is known; then call ready(me, token). */
  W.signIn = function (roles, ready) {
    var form = W.$("signin");
    var app = W.$("app");
    function check(token) {
      return W.api("/v1/me", { token: token }).then(function (me) {
        if (roles.indexOf(me.role) < 0) throw new Error("this page needs the role " + roles.join(" or ") + "; your token is a " + me.role + " token");
        sessionStorage.setItem("warmline.staffToken", token);
        form.hidden = true;
        app.hidden = false;
        ready(me, token);
      });
    }
    function ask(message) {
      form.hidden = false;
      app.hidden = true;
      W.$("signin-error").textContent = message || "";
      W.$("signin-token").focus();
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      check(W.$("signin-token").value.trim()).catch(function (error) { ask(error.message); });
    });
    var signout = W.$("signout");
    if (signout) signout.addEventListener("click", function () {
      sessionStorage.removeItem("warmline.staffToken");
      location.reload();
    });
    var token = W.staffToken();
    if (token) check(token).catch(function (error) { sessionStorage.removeItem("warmline.staffToken"); ask(error.message); });
    else ask("");
  };

  /* A server-sent event stream that survives dropped connections and server restarts. The
   * browser's EventSource resumes by itself with Last-Event-ID; when it gives up (an HTTP
   * error while the server restarts, or its ticket has expired) we reopen it from the last id
   * we saw. EventSource cannot send the token in a header and a URL ends up in access logs, so
   * each opening asks for a short-lived ticket for this one stream (POST /v1/stream-tickets). */
  W.stream = function (path, token, handlers, onStatus) {
    var lastId = 0;
    var source = null;
    var closed = false;
    var retry = 1000;
    function again() {
      setTimeout(open, retry);
      retry = Math.min(retry * 2, 15000);
    }
    function open() {
      if (closed) return;
      W.api("/v1/stream-tickets", { method: "POST", token: token, body: { path: path } }).then(function (issued) {
        if (closed) return;
        var url = issued.url;
        if (lastId) url += "&last_event_id=" + lastId;
        listen(url);
      }).catch(function () {
        onStatus && onStatus("reconnecting");
        again();
      });
    }
    function listen(url) {
      source = new EventSource(url);
      source.onopen = function () { retry = 1000; onStatus && onStatus("live"); };
      source.onerror = function () {
        onStatus && onStatus("reconnecting");
        if (source.readyState === EventSource.CLOSED) again();
      };
      Object.keys(handlers).forEach(function (name) {
        source.addEventListener(name, function (message) {
          var id = parseInt(message.lastEventId, 10);
          if (id && id <= lastId) return; // already seen (never expected; belt and braces)
          if (id) lastId = id;
          handlers[name](JSON.parse(message.data), id);
        });
      });
    }
    open();
    return {
      close: function () { closed = true; if (source) source.close(); },
      lastId: function () { return lastId; },
    };
  };

  /* The handoff payload, mapped into what the panel shows. Its exact shape belongs to
   * warmline/handoff/payload.py: this is the one function to adjust when it changes. */
  W.mapPayload = function (raw) {
    raw = raw || {};
    function list(value) { return Array.isArray(value) ? value : []; }
    function obj(value) { return value && typeof value === "object" && !Array.isArray(value) ? value : {}; }
    var next = raw.next_action;
    if (typeof next === "string") next = { action: next };
    next = obj(next);
    var draft = raw.draft;
    if (typeof draft === "string") draft = { text: draft };
    draft = obj(draft);
    var intent = obj(raw.intent);
    var routing = obj(raw.routing);
    return {
      cohort: raw.cohort || "warm",
      customerName: raw.customer_name || obj(raw.customer).name || obj(raw.account).name || null,
      summary: typeof raw.summary === "string" ? raw.summary : "",
      facts: list(raw.key_facts).map(function (f) {
        f = obj(f);
        return { kind: f.kind || f.entity || f.name || "fact", value: f.value, turn: f.source_seq || f.turn || f.seq };
      }).filter(function (f) { return f.value !== undefined && f.value !== null && f.value !== ""; }),
      draft: draft.text ? { id: draft.id || null, text: draft.text } : null,
      next: next.action || next.step || next.title ? {
        action: next.action || next.step || next.title,
        reasoning: next.reasoning || next.reason || next.why || "",
      } : null,
      citations: list(raw.citations).map(function (c) {
        c = obj(c);
        return { id: c.article_id || c.id || "", title: c.title || c.article_id || "source", passage: c.passage || c.text || "", score: c.score };
      }),
      routing: routing.team || routing.reason ? {
        team: routing.team, priority: routing.priority, reason: routing.reason || "",
        sla: routing.sla_due_at || null, skills: list(routing.skills),
      } : null,
      intent: intent.flow || intent.intent ? {
        flow: intent.flow || intent.intent, subflow: intent.subflow || intent.sub_intent || "",
        confidence: typeof intent.confidence === "number" ? intent.confidence : null,
      } : null,
      account: obj(raw.account),
      transcriptTurns: list(raw.transcript).length,
    };
  };

  function section(id, title) {
    var box = W.el("section", { id: id, class: "pl-section", "aria-labelledby": id + "-h" });
    box.appendChild(W.el("h3", { id: id + "-h", text: title }));
    return box;
  }

  /* Render the payload panel into ``container``. options.withDraft: show the draft (with a
   * copy button) for desks whose reply box is not ours. */
  W.renderPayload = function (container, raw, options) {
    options = options || {};
    var p = W.mapPayload(raw);
    var el = W.el;
    container.textContent = "";
    if (!raw) {
      container.appendChild(el("p", { class: "muted", text: options.emptyText || "No handoff payload for this conversation." }));
      return p;
    }
    var chips = el("div", { class: "chips" });
    if (p.intent) {
      chips.appendChild(el("span", { class: "chip", id: "pl-intent" },
        p.intent.flow + (p.intent.subflow ? " › " + p.intent.subflow : "") +
        (p.intent.confidence !== null ? " · " + Math.round(p.intent.confidence * 100) + "%" : "")));
    }
    if (p.routing && p.routing.team) chips.appendChild(el("span", { class: "chip" }, "team " + p.routing.team + (p.routing.priority ? " · P" + p.routing.priority : "")));
    if (p.cohort === "cold") chips.appendChild(el("span", { class: "chip warn" }, "cold transfer"));
    container.appendChild(chips);

    if (p.cohort === "cold") {
      container.appendChild(el("p", { id: "pl-cold", class: "cold" },
        "Cold transfer (experiment cohort): this handoff carries only the transcript" +
        (p.customerName ? " and the customer's name, " + p.customerName : " and the customer's name") +
        ". Read the transcript; nothing else was prepared."));
    }
    if (p.summary) {
      var summary = section("pl-summary", "Summary");
      summary.appendChild(el("p", { text: p.summary }));
      container.appendChild(summary);
    }
    if (p.next) {
      var next = section("pl-next", "Next action");
      next.appendChild(el("p", { class: "next-action", text: p.next.action }));
      if (p.next.reasoning) next.appendChild(el("p", { class: "reasoning", text: p.next.reasoning }));
      container.appendChild(next);
    }
    if (p.facts.length) {
      var facts = section("pl-facts", "Key facts");
      var dl = el("dl", { class: "facts" });
      p.facts.forEach(function (f) {
        dl.appendChild(el("dt", { text: String(f.kind).replace(/_/g, " ") }));
        dl.appendChild(el("dd", {}, String(f.value), f.turn ? el("span", { class: "turn", title: "said in turn " + f.turn }, " #" + f.turn) : null));
      });
      facts.appendChild(dl);
      container.appendChild(facts);
    }
    if (options.withDraft && p.draft) {
      var draft = section("pl-draft", "Draft reply");
      var text = el("p", { class: "draft", id: "pl-draft-text", text: p.draft.text });
      draft.appendChild(text);
      draft.appendChild(el("button", {
        type: "button", id: "copy-draft", onclick: function (event) {
          var button = event.currentTarget;
          navigator.clipboard.writeText(p.draft.text).then(function () { button.textContent = "Copied"; },
            function () { button.textContent = "Select the text to copy"; });
        },
      }, "Copy draft"));
      container.appendChild(draft);
    }
    if (p.routing) {
      var routing = section("pl-routing", "Why this queue");
      routing.appendChild(el("p", { text: p.routing.reason || "(no reason recorded)" }));
      var meta = [];
      if (p.routing.skills.length) meta.push("skills: " + p.routing.skills.join(", "));
      if (p.routing.sla) meta.push(W.slaText(p.routing.sla));
      if (meta.length) routing.appendChild(el("p", { class: "muted small", text: meta.join(" · ") }));
      container.appendChild(routing);
    }
    if (p.citations.length) {
      var cites = section("pl-citations", "Sources the bot used");
      var ul = el("ul", { class: "plain citations" });
      p.citations.slice(0, 4).forEach(function (c) {
        ul.appendChild(el("li", {},
          el("span", { class: "cite-title", text: c.title }),
          el("span", { class: "muted small" }, " " + c.id + (typeof c.score === "number" ? " · " + c.score.toFixed(2) : "")),
          c.passage ? el("span", { class: "passage", title: c.passage, text: c.passage }) : null));
      });
      cites.appendChild(ul);
      container.appendChild(cites);
    }
    var accountKeys = Object.keys(p.account).filter(function (k) {
      var v = p.account[k];
      return v !== null && typeof v !== "object" && k !== "id";
    });
    if (accountKeys.length) {
      var account = section("pl-account", "Account");
      account.appendChild(el("p", { class: "small", text: accountKeys.slice(0, 6).map(function (k) { return k.replace(/_/g, " ") + ": " + p.account[k]; }).join(" · ") }));
      container.appendChild(account);
    }
    return p;
  };

  window.Warmline = W;
})();
