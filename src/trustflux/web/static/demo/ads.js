// Demo "advertising" tag: runs only after the visitor consents to advertising cookies.
(function () {
  document.cookie = "_fx_ads=demo; Max-Age=" + 60 * 60 * 24 * 30 + "; Path=/; SameSite=Lax";
  document.documentElement.setAttribute("data-ads", "running");
  var el = document.getElementById("demo-advertising_cookies");
  if (el) { el.textContent = document.documentElement.lang === "en" ? "running" : "actif"; }
})();
