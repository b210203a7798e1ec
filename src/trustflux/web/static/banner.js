/*
 * Fluxtel cookie banner. Any of the operator's sites includes it with:
 *   <script src="https://TRUST-CENTER/banner.js" data-site="website:fluxtel.example"
 *           data-lang="fr" defer></script>
 * and tags each script that needs consent:
 *   <script type="text/plain" data-fx-purpose="advertising_cookies" data-src="..."></script>
 * Tagged scripts run only once the visitor's choice allows their purpose. The choice is
 * written to the trust center's ledger under an anonymous visitor id kept in the first-party
 * cookie "fx_consent"; the banner asks again after six months or when a notice changes.
 * A Global Privacy Control signal is recorded and honoured as a refusal of advertising.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.FluxtelConsent) { return; }
  var base = new URL(script.src, document.baseURI).origin;
  var site = script.getAttribute("data-site") || "website:" + location.hostname;
  var docLang = (document.documentElement.lang || "fr").slice(0, 2);
  var lang = script.getAttribute("data-lang") || (docLang === "en" ? "en" : "fr");
  var COOKIE = "fx_consent";
  var gpc = navigator.globalPrivacyControl === true;
  var config = null;
  var root = null;
  var returnFocus = null;
  var state = readState();

  function readState() {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) !== COOKIE) { continue; }
      try {
        var s = JSON.parse(decodeURIComponent(parts[i].slice(eq + 1)));
        if (s && typeof s.v === "string" && typeof s.k === "string" && s.c && s.n) { return s; }
      } catch (e) { return null; }
    }
    return null;
  }

  function writeState(s) {
    var seconds = Math.max(0, Math.floor((s.e - Date.now()) / 1000));
    document.cookie = COOKIE + "=" + encodeURIComponent(JSON.stringify(s)) + "; Max-Age=" +
      seconds + "; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
  }

  function choicePurposes() {
    return config.purposes.filter(function (p) { return !p.required; });
  }

  function allowed(purpose) {
    var p = config.purposes.filter(function (q) { return q.id === purpose; })[0];
    if (!p) { return false; }
    if (p.required) { return true; }
    if (gpc && p.advertising) { return false; }
    return !!(state && state.e > Date.now() && state.c[purpose] === 1);
  }

  function needsAsking() {
    if (!state || state.e <= Date.now()) { return true; }
    return choicePurposes().some(function (p) {
      return !(p.id in state.c) || state.n[p.id] !== p.notice_version;
    });
  }

  // Run the tagged scripts whose purpose is now allowed (each at most once).
  function apply() {
    var tagged = document.querySelectorAll('script[type="text/plain"][data-fx-purpose]');
    for (var i = 0; i < tagged.length; i++) {
      var old = tagged[i];
      if (old.getAttribute("data-fx-done") || !allowed(old.getAttribute("data-fx-purpose"))) {
        continue;
      }
      old.setAttribute("data-fx-done", "1");
      var run = document.createElement("script");
      for (var a = 0; a < old.attributes.length; a++) {
        var attr = old.attributes[a];
        if (attr.name !== "type" && attr.name !== "data-src") { run.setAttribute(attr.name, attr.value); }
      }
      if (old.getAttribute("data-src")) { run.src = old.getAttribute("data-src"); }
      else { run.text = old.text; }
      old.parentNode.insertBefore(run, old.nextSibling);
    }
    document.documentElement.setAttribute("data-fx-consent", state ? "chosen" : "pending");
  }

  // Remove our own first-party cookies of purposes that are not allowed any more.
  function forget() {
    config.purposes.forEach(function (p) {
      if (allowed(p.id)) { return; }
      p.cookies.forEach(function (name) {
        document.cookie = name + "=; Max-Age=0; Path=/; SameSite=Lax";
      });
    });
  }

  function post(choices, done, fail) {
    var body = {
      site: site, language: lang, gpc: gpc, choices: choices,
      visitor_id: state ? state.v : null, visitor_token: state ? state.k : null
    };
    fetch(base + "/banner/v1/choices", {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (saved) {
      var next = {
        v: saved.visitor_id, k: saved.visitor_token, t: Date.now(),
        e: Date.parse(saved.expires_at), n: state ? state.n : {}, c: state ? state.c : {}
      };
      saved.recorded.forEach(function (r) {
        next.c[r.purpose] = r.accepted ? 1 : 0;
        var p = config.purposes.filter(function (q) { return q.id === r.purpose; })[0];
        if (p) { next.n[r.purpose] = p.notice_version; }
      });
      state = next;
      writeState(state);
      forget();
      apply();
      if (done) { done(saved); }
    }).catch(function (error) { if (fail) { fail(error); } });
  }

  function choose(decide) {
    var choices = choicePurposes().map(function (p) {
      return {
        purpose: p.id, accepted: decide(p), notice_version: p.notice_version,
        notice_hash: p.notice_hash
      };
    });
    var live = root.querySelector(".fxb-live");
    live.textContent = "";
    post(choices, function () {
      close();
      announce(config.texts.saved);
    }, function () {
      live.textContent = config.texts.failed;
    });
  }

  function announce(text) {
    var region = document.getElementById("fxb-announce");
    if (!region) {
      region = el("p", { id: "fxb-announce", role: "status", "class": "fxb-visually-hidden" });
      document.body.appendChild(region);
    }
    region.textContent = text;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function build() {
    var texts = config.texts;
    root = el("div", {
      "class": "fxb", role: "dialog", "aria-modal": "false", "aria-labelledby": "fxb-title",
      "aria-describedby": "fxb-intro", lang: lang, tabindex: "-1", id: "fx-banner"
    });
    var inner = el("div", { "class": "fxb-inner" });
    inner.appendChild(el("h2", { id: "fxb-title", "class": "fxb-title" }, texts.title));
    var intro = el("p", { id: "fxb-intro" }, texts.intro + " ");
    var policy = el("a", { href: config.policy_url, target: "_blank", rel: "noopener" }, texts.policy);
    intro.appendChild(policy);
    inner.appendChild(intro);
    if (gpc) { inner.appendChild(el("p", { "class": "fxb-gpc" }, texts.gpc)); }

    var panel = el("div", { id: "fxb-panel", "class": "fxb-panel" });
    panel.hidden = true;
    var fieldset = el("fieldset", {});
    fieldset.appendChild(el("legend", {}, texts.customise));
    config.purposes.forEach(function (p) {
      var row = el("div", { "class": "fxb-purpose" });
      var descId = "fxb-desc-" + p.id;
      if (p.required) {
        row.appendChild(el("p", { "class": "fxb-name" }, p.name + " — " + texts.always_active));
      } else {
        var box = el("input", { type: "checkbox", id: "fxb-p-" + p.id, name: p.id, "aria-describedby": descId });
        box.checked = !!(state && state.c[p.id] === 1 && !(gpc && p.advertising));
        if (gpc && p.advertising) { box.disabled = true; }
        row.appendChild(box);
        row.appendChild(el("label", { "for": "fxb-p-" + p.id, "class": "fxb-name" }, p.name));
      }
      var desc = el("p", { id: descId, "class": "fxb-desc" }, p.description + " ");
      desc.appendChild(el("a", { href: p.page, target: "_blank", rel: "noopener" }, texts.details));
      row.appendChild(desc);
      fieldset.appendChild(row);
    });
    panel.appendChild(fieldset);
    var save = el("button", { type: "button", "class": "fxb-btn", "data-fx-action": "save" }, texts.save);
    panel.appendChild(save);
    inner.appendChild(panel);

    var actions = el("div", { "class": "fxb-actions" });
    var accept = el("button", { type: "button", "class": "fxb-btn", "data-fx-action": "accept" }, texts.accept_all);
    var reject = el("button", { type: "button", "class": "fxb-btn", "data-fx-action": "reject" }, texts.reject_all);
    var custom = el("button", {
      type: "button", "class": "fxb-btn", "data-fx-action": "customise",
      "aria-expanded": "false", "aria-controls": "fxb-panel"
    }, texts.customise);
    actions.appendChild(accept);
    actions.appendChild(reject);
    actions.appendChild(custom);
    inner.appendChild(actions);
    inner.appendChild(el("p", { "class": "fxb-live", role: "alert" }));
    root.appendChild(inner);

    accept.addEventListener("click", function () { choose(function () { return true; }); });
    reject.addEventListener("click", function () { choose(function () { return false; }); });
    custom.addEventListener("click", function () { togglePanel(panel, custom, panel.hidden); });
    save.addEventListener("click", function () {
      choose(function (p) {
        var box = document.getElementById("fxb-p-" + p.id);
        return !!(box && box.checked);
      });
    });
    document.body.appendChild(root);
  }

  function togglePanel(panel, button, show) {
    panel.hidden = !show;
    button.setAttribute("aria-expanded", show ? "true" : "false");
    if (show) {
      var first = panel.querySelector("input:not([disabled])");
      if (first) { first.focus(); }
    }
  }

  function open(customise) {
    if (!config) { return; }
    if (root) { root.parentNode.removeChild(root); }
    returnFocus = document.activeElement;
    build();
    if (customise) {
      togglePanel(root.querySelector("#fxb-panel"), root.querySelector('[data-fx-action="customise"]'), true);
    } else {
      root.focus();
    }
  }

  function close() {
    if (root) { root.parentNode.removeChild(root); root = null; }
    if (returnFocus && returnFocus.focus && document.contains(returnFocus)) { returnFocus.focus(); }
  }

  function wireOpeners() {
    document.addEventListener("click", function (event) {
      var target = event.target && event.target.closest ? event.target.closest("[data-fx-consent-open]") : null;
      if (target) { event.preventDefault(); open(true); }
    });
  }

  function start(cfg) {
    config = cfg;
    var link = el("link", { rel: "stylesheet", href: base + "/static/banner.css" });
    document.head.appendChild(link);
    wireOpeners();
    window.FluxtelConsent = {
      open: function () { open(true); },
      state: function () { return state; },
      allowed: function (purpose) { return allowed(purpose); }
    };
    apply();
    // A GPC signal is a choice in itself: record the refusal of advertising once.
    var unrecorded = choicePurposes().filter(function (p) {
      return gpc && p.advertising && !(state && state.c[p.id] === 0 && state.n[p.id] === p.notice_version);
    });
    if (unrecorded.length) {
      post(unrecorded.map(function (p) {
        return { purpose: p.id, accepted: false, notice_version: p.notice_version, notice_hash: p.notice_hash };
      }), function () { if (needsAsking()) { open(false); } }, function () { open(false); });
    } else if (needsAsking()) {
      open(false);
    }
  }

  function load() {
    var url = base + "/banner/v1/config?site=" + encodeURIComponent(site) + "&lang=" + lang;
    fetch(url, { credentials: "omit" }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(start).catch(function () {
      document.documentElement.setAttribute("data-fx-consent", "unavailable");
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", load); }
  else { load(); }
})();
