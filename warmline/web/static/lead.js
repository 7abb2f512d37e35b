/* The lead view: escalation decisions with their reasons and policy version, routing outcomes,
 * handoffs and transfers, filterable; read from /v1/lead/audit. */
"use strict";

(function () {
  var W = window.Warmline;
  var $ = W.$;
  var el = W.el;
  var TYPE_LABELS = { policy_decided: "policy decision", routed: "routing", escalated: "handoff", transferred: "transfer" };

  function start(me, token) {
    $("me").textContent = me.name + " · " + me.role;
    var params = new URLSearchParams(location.search);
    ["type", "team", "outcome", "conversation", "since", "until"].forEach(function (name) {
      if (params.get(name)) $("f-" + name).value = params.get(name);
    });

    function query() {
      var q = new URLSearchParams();
      ["type", "team", "outcome", "conversation"].forEach(function (name) {
        var value = $("f-" + name).value.trim();
        if (value) q.set(name, value);
      });
      if ($("f-since").value) q.set("since", $("f-since").value);
      if ($("f-until").value) {
        var until = new Date($("f-until").value);
        until.setDate(until.getDate() + 1); // inclusive of the chosen day
        q.set("until", until.toISOString().slice(0, 10));
      }
      return q;
    }

    function load() {
      var q = query();
      history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : ""));
      W.api("/v1/lead/audit?" + q, { token: token }).then(render).catch(function (error) {
        $("lead-error").textContent = error.message;
      });
    }

    function render(data) {
      $("lead-error").textContent = "";
      var select = $("f-team");
      if (select.options.length === 1) {
        data.teams.forEach(function (t) { select.appendChild(el("option", { value: t, text: t })); });
        if (params.get("team")) select.value = params.get("team");
      }
      var s = data.summary;
      var summary = $("summary");
      summary.textContent = "";
      [["Handoffs by rule", s.escalations_by_rule], ["Handoff mode", s.escalations_by_mode],
        ["Routed to", s.routed_by_team], ["Transfers", s.transfers], ["Policy versions", s.policy_versions]]
        .forEach(function (pair) {
          var keys = Object.keys(pair[1]);
          var list = el("ul", { class: "plain" });
          keys.forEach(function (k) { list.appendChild(el("li", {}, el("span", { text: k }), " ", el("strong", { text: String(pair[1][k]) }))); });
          summary.appendChild(el("div", { class: "card" }, el("h2", { text: pair[0] }),
            keys.length ? list : el("p", { class: "muted", text: "none" })));
        });
      var body = document.querySelector("#audit tbody");
      body.textContent = "";
      data.items.forEach(function (row) {
        body.appendChild(el("tr", { class: "t-" + row.type },
          el("td", {}, el("time", { datetime: row.at, text: new Date(row.at).toLocaleString() })),
          el("td", {}, el("a", { href: "/agent?conversation=" + encodeURIComponent(row.conversation_id), text: row.conversation_id })),
          el("td", { text: TYPE_LABELS[row.type] || row.type }),
          el("td", { text: row.team || "" }),
          el("td", { text: row.outcome || "" }),
          el("td", { text: row.rule || "" }),
          el("td", { class: "reason", text: row.reason || "" }),
          el("td", { text: row.policy_version || "" })));
      });
      $("audit-caption").textContent = data.items.length + " decision" + (data.items.length === 1 ? "" : "s") + ", newest first";
    }

    $("filters").addEventListener("submit", function (event) { event.preventDefault(); load(); });
    load();
  }

  W.signIn(["lead", "admin"], start);
})();
